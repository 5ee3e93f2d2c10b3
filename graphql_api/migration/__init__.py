"""The move to the single-table layout, as the service follows it (SPEC section 14): the layout, the phase in
DynamoDB, each instance's watch of it, and dual-write. The operator's commands are graphql_api.ops.single_table*
and graphql_api.cli.migrate."""
