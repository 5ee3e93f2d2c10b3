# Shared development environment in AWS. The service runs there with TABLE_PREFIX=dev-.
region      = "us-east-1"
name_prefix = "dev-"

point_in_time_recovery_enabled = true
server_side_encryption_enabled = true
# Development tables are disposable: `terraform destroy` works without a preliminary apply.
deletion_protection_enabled = false

alarms_enabled = false

tags = {
  Service     = "graphql-api"
  Environment = "dev"
  ManagedBy   = "terraform"
}
