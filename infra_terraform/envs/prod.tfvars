# Production in AWS. The service runs there with TABLE_PREFIX=prod-.
region      = "us-east-1"
name_prefix = "prod-"

point_in_time_recovery_enabled     = true
deletion_protection_enabled        = true
server_side_encryption_enabled     = true
server_side_encryption_kms_key_arn = null # null: the AWS managed key aws/dynamodb

alarms_enabled      = true
alarm_sns_topic_arn = null # set to the on-call SNS topic ARN to be notified

# The CloudWatch dashboard (dashboard.tf): the tables and the service, on one page; docs/runbook.md says what
# to do when its graphs or the alarms move.
dashboard_enabled = true

tags = {
  Service     = "graphql-api"
  Environment = "prod"
  ManagedBy   = "terraform"
}

# The service on Lambda behind an HTTP API (build the zip first: `graphql-api package lambda`), with
# TF_VAR_service_cursor_secret exported from the secret store. Its alarms (errors, throttles, p99
# duration) notify alarm_sns_topic_arn as the tables' do.
service = {
  enabled     = true
  memory_size = 1769 # one full vCPU
  settings = {
    CORS_ALLOW_ORIGINS    = "https://shop.example.com"
    GRAPHQL_INTROSPECTION = "false"
  }
}

# The user pool made here; customers sign up themselves. To trust an existing pool instead, leave this
# off and set the service's auth_issuer ("https://cognito-idp.<region>.amazonaws.com/<pool id>") and
# auth_audience (its app client id).
user_pool = {
  enabled      = true
  self_sign_up = true
}
