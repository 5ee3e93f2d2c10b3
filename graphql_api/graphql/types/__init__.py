"""GraphQL object types: one module per entity, each with its own resolvers for related data."""
