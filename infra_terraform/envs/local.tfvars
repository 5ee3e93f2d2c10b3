# Amazon DynamoDB Local on this machine (scripts/dynamodb-local.sh start 8000, or the
# amazon/dynamodb-local container). The service finds these tables with
# DYNAMODB_ENDPOINT_URL=http://localhost:8000 and the default TABLE_PREFIX=dev-.
region            = "us-east-1"
name_prefix       = "dev-"
dynamodb_endpoint = "http://localhost:8000"

# DynamoDB Local has no continuous backups API (UpdateContinuousBackups is an unknown operation).
point_in_time_recovery_enabled = false
# DynamoDB Local accepts an SSE specification but never reports one back, which would show as
# a change on every plan; data at rest on a laptop is out of scope anyway.
server_side_encryption_enabled = false
# DynamoDB Local enforces deletion protection; local tables must be easy to throw away.
deletion_protection_enabled = false

# No CloudWatch behind DynamoDB Local, and it rejects TagResource/ListTagsOfResource.
alarms_enabled    = false
dashboard_enabled = false
tags              = {}

# Lambda and Cognito are not emulated here: run the service with `graphql-api serve` instead.
service   = { enabled = false }
user_pool = { enabled = false }
