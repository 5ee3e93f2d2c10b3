# Production in AWS. The service runs there with TABLE_PREFIX=prod-.
region      = "us-east-1"
name_prefix = "prod-"

point_in_time_recovery_enabled     = true
deletion_protection_enabled        = true
server_side_encryption_enabled     = true
server_side_encryption_kms_key_arn = null # null: the AWS managed key aws/dynamodb

alarms_enabled      = true
alarm_sns_topic_arn = null # set to the on-call SNS topic ARN to be notified

tags = {
  Service     = "graphql-api"
  Environment = "prod"
  ManagedBy   = "terraform"
}
