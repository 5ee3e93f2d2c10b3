"""HTTP concerns around the GraphQL endpoint: the body size limit and security headers."""
