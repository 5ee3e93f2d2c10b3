"""HTTP concerns around the GraphQL endpoint: request scope, body size limit, security headers."""
