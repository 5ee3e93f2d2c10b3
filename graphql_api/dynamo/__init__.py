"""Everything that speaks DynamoDB's wire format: the client, item (de)serialization, batching and request counting."""
