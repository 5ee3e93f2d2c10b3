"""One module per table: the domain dataclass, its item transforms, key helpers and queries.

No DynamoDB code lives outside this layer and `graphql_api.dynamo`.
"""
