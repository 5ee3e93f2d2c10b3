"""A GraphQL API over faux-SQL DynamoDB tables."""
