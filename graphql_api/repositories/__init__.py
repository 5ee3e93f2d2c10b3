"""The entities' repositories, one module each: its dataclass and declaration (graphql_api.entity), its listings
and writes. The list of entities the API serves is graphql_api.graphql.registry."""
