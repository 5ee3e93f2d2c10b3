"""Fault injection for the integration tests: a proxy between the service and DynamoDB."""
