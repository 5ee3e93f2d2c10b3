# Shared development environment in AWS. The service runs there with TABLE_PREFIX=dev-.
region      = "us-east-1"
name_prefix = "dev-"

point_in_time_recovery_enabled = true
server_side_encryption_enabled = true
# Development tables are disposable: `terraform destroy` works without a preliminary apply.
deletion_protection_enabled = false

alarms_enabled = false

# The CloudWatch dashboard (dashboard.tf): the tables and the service, on one page.
dashboard_enabled = true

tags = {
  Service     = "graphql-api"
  Environment = "dev"
  ManagedBy   = "terraform"
}

# The service on Lambda behind an HTTP API, trusting a user pool made here too. Before planning, build
# the zip (`graphql-api package lambda`, from the repository root) and export the cursor secret:
#   export TF_VAR_service_cursor_secret="$(openssl rand -hex 32)"   (keep it: a new one voids cursors)
service = {
  enabled = true
  settings = {
    CORS_ALLOW_ORIGINS = "http://localhost:3000"
    LOG_LEVEL          = "DEBUG"
  }
}

# `graphql-api token EMAIL` signs in with USER_PASSWORD_AUTH: allowed on the development pool only.
user_pool = {
  enabled          = true
  password_sign_in = true
}
