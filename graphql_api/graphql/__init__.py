"""The GraphQL layer: types, queries, pagination, error formatting and the schema."""
