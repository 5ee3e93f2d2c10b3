"""The local default: an embedded DynamoDB-compatible server (moto's) and its Cognito-compatible user pool.

Only `graphql-api serve` with nothing configured, `graphql-api token` and the tests use it; the service
on AWS or Lambda never imports it (moto is the optional `local` extra).
"""
