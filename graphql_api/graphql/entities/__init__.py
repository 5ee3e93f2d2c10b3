"""One module per entity: its GraphQL types and its Query, Mutation and Subscription parts (its `ROOTS`).

`graphql_api.graphql.registry` lists the modules' `ROOTS` explicitly; the schema merges them into the three
root types. The private modules are what the entities share: `_domain` (a type copied from its dataclass),
`_related` (an object by key through the loaders), `_listed` (every listing field: a list, a connection
under its parent, a root connection of one partition, with filter, order, pages and counts),
`_prefetched` (a value loaded ahead for a page), `_live` (a subscription's changes), `_inputs` (checks of
the mutations' common arguments) and `_roots` (the bundle each module declares).
"""
