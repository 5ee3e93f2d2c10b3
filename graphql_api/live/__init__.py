"""Live updates: DynamoDB Streams read by the service, fanned out to GraphQL subscriptions."""
