variable "region" {
  description = "AWS region of the tables. Against DynamoDB Local any region works; it only names the ARNs."
  type        = string
  default     = "us-east-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "The region must be an AWS region name such as us-east-1."
  }
}

variable "name_prefix" {
  description = "Prefix of every table name; must equal the service's TABLE_PREFIX setting (whose default is \"dev-\")."
  type        = string
  default     = "dev-"

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{0,200}$", var.name_prefix))
    error_message = "The name_prefix may only contain a-z, A-Z, 0-9, '_', '-' and '.' (at most 200 characters)."
  }
}

variable "dynamodb_endpoint" {
  description = "DynamoDB endpoint URL to use instead of AWS, e.g. http://localhost:8000 for DynamoDB Local; null means real AWS. When set, the provider uses dummy credentials and skips its AWS account checks."
  type        = string
  default     = null

  validation {
    condition     = var.dynamodb_endpoint == null || can(regex("^https?://[^/]+", var.dynamodb_endpoint))
    error_message = "The dynamodb_endpoint must be null or an http(s) URL."
  }
}

variable "point_in_time_recovery_enabled" {
  description = "Point-in-time recovery on every table. Must be false against DynamoDB Local, which does not implement it."
  type        = bool
  default     = true
}

variable "deletion_protection_enabled" {
  description = "Deletion protection on every table; turn it off (and apply) before a deliberate `terraform destroy`."
  type        = bool
  default     = true
}

variable "server_side_encryption_enabled" {
  description = "Encrypt every table with a KMS key (the key below, or the AWS managed key aws/dynamodb). When false, DynamoDB still encrypts with an AWS owned key."
  type        = bool
  default     = true
}

variable "server_side_encryption_kms_key_arn" {
  description = "Customer managed KMS key for every table; null uses the AWS managed key aws/dynamodb."
  type        = string
  default     = null
}

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms of every table (throttle events, system errors) and one UserErrors alarm for the account and region. Needs CloudWatch: keep false against DynamoDB Local."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified by the alarms; null creates them without notifications."
  type        = string
  default     = null
}

variable "dashboard_enabled" {
  description = "Create a CloudWatch dashboard (dashboard.tf): every table's throttles, latency, consumed capacity and errors, DynamoDB's UserErrors, and with the service its requests, p99, Lambda health and GraphQL error codes. Needs CloudWatch: keep false against DynamoDB Local."
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags for every table and alarm. DynamoDB Local does not support tagging: keep empty there."
  type        = map(string)
  default     = {}
}

variable "tables" {
  description = <<-EOT
    The tables, by name without the prefix: each one's keys, key types (S, N or B), global secondary
    indexes and stream. Generated from the code's declarations into tables.auto.tfvars.json, which
    Terraform loads by itself: regenerate that file (python -m graphql_api.ops.terraform_data), do not
    edit it or set this variable anywhere else. Every attribute is present, null where absent
    (Terraform 1.0 has no optional object attributes); stream_view_type null means no stream, ttl_attribute
    null means no time to live.
  EOT
  type = map(object({
    hash_key       = string
    hash_key_type  = string
    range_key      = string
    range_key_type = string
    global_secondary_indexes = list(object({
      name               = string
      hash_key           = string
      hash_key_type      = string
      range_key          = string
      range_key_type     = string
      projection_type    = string
      non_key_attributes = list(string)
    }))
    stream_view_type = string
    ttl_attribute    = string
  }))

  validation {
    condition = alltrue([
      for table in values(var.tables) :
      table.stream_view_type == null || contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], coalesce(table.stream_view_type, "none"))
    ])
    error_message = "A table's stream_view_type must be null (no stream), KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}

variable "dynamodb_access" {
  description = <<-EOT
    The service's DynamoDB access, by part: `api` (every request: the Lambda role gets exactly these),
    `subscriptions` (the stream readers: a long-running `graphql-api serve`, or `graphql-api relay` with its
    shard leases) and `migration` (the requests' calls on the single table: dual-write and moved reads,
    granted with single_table_enabled only). Each grant is one IAM action
    on a table, one of its indexes or its stream, by table name without the prefix. Generated from the
    code into dynamodb_access.auto.tfvars.json, which Terraform loads by itself: regenerate that file
    (python -m graphql_api.ops.iam_policy), do not edit it or set this variable anywhere else.
  EOT
  type = object({
    api = list(object({
      action = string
      table  = string
      index  = string
      stream = bool
    }))
    subscriptions = list(object({
      action = string
      table  = string
      index  = string
      stream = bool
    }))
    migration = list(object({
      action = string
      table  = string
      index  = string
      stream = bool
    }))
  })
  default = {
    api           = []
    subscriptions = []
    migration     = []
  }
}

variable "service" {
  description = <<-EOT
    The GraphQL API on AWS Lambda behind an API Gateway HTTP API (modules/lambda_service); off by default.
    An object of the attributes that differ from their defaults (service.tf):
      enabled                        false
      name                           "<name_prefix>graphql-api" (function, role, log group, API, alarms)
      package_path                   "<repository>/build/lambda/graphql-api-lambda.zip" (graphql-api package lambda)
      memory_size                    1024 (MB)
      timeout                        29 (seconds)
      reserved_concurrent_executions -1 (unreserved)
      log_retention_days             30
      auth_issuer                    null: the user pool's issuer when user_pool is enabled (AUTH_ISSUER)
      auth_audience                  null: the user pool client's id when user_pool is enabled (AUTH_AUDIENCE)
      settings                       {}: more of the service's environment variables, e.g. CORS_ALLOW_ORIGINS
      cdn_enabled                    false: CloudFront in front, keeping the public answers (docs/caching.md)
    The CURSOR_SECRET is service_cursor_secret. Typed `any` because Terraform before 1.3 has no optional
    object attributes; the validation blocks check the names.
  EOT
  type        = any
  default = {
    enabled = false
  }

  validation {
    condition = can(keys(var.service)) && try(length(setsubtract(keys(var.service), [
      "enabled", "name", "package_path", "memory_size", "timeout", "reserved_concurrent_executions",
      "log_retention_days", "auth_issuer", "auth_audience", "settings", "cdn_enabled",
    ])) == 0, false)
    error_message = "The service takes enabled, name, package_path, memory_size, timeout, reserved_concurrent_executions, log_retention_days, auth_issuer, auth_audience, settings and cdn_enabled only."
  }

  validation {
    condition     = can(tobool(try(var.service.enabled, false))) && can(tomap(try(var.service.settings, {}))) && can(tobool(try(var.service.cdn_enabled, false)))
    error_message = "The service's enabled and cdn_enabled must be true or false, and its settings a map of environment variables."
  }
}

variable "service_cursor_secret" {
  description = "The service's CURSOR_SECRET (needed with service.enabled): one or more comma-separated secrets, at least 16 characters. Pass it as TF_VAR_service_cursor_secret rather than in a file; it is kept in the state and in the function's configuration."
  type        = string
  default     = null
  sensitive   = true
}

variable "user_pool" {
  description = <<-EOT
    An Amazon Cognito user pool for the service's sign-ins (cognito.tf); off by default. An object of the
    attributes that differ from their defaults:
      enabled          false
      name             "<name_prefix>graphql-api"
      staff_group      "staff" (AUTH_STAFF_GROUP)
      admin_group      "admin" (AUTH_ADMIN_GROUP)
      self_sign_up     false: only administrators create users
      password_sign_in false: true also lets the app client sign in with USER_PASSWORD_AUTH (graphql-api token)
    With the service enabled and no auth_issuer of its own, the service trusts this pool's access tokens.
  EOT
  type        = any
  default = {
    enabled = false
  }

  validation {
    condition = can(keys(var.user_pool)) && try(length(setsubtract(keys(var.user_pool), [
      "enabled", "name", "staff_group", "admin_group", "self_sign_up", "password_sign_in",
    ])) == 0, false)
    error_message = "The user_pool takes enabled, name, staff_group, admin_group, self_sign_up and password_sign_in only."
  }
}

# The migration to single-table (single_table.tf; docs/migrating-to-single-table.md).

variable "single_table_enabled" {
  description = "Provision the single table of the migration to single-table (SINGLE_TABLE_NAME)."
  type        = bool
  default     = false
}

variable "single_table_name" {
  description = "The single table's name after name_prefix: the service's SINGLE_TABLE_NAME."
  type        = string
  default     = "App"
}

variable "single_table" {
  description = <<-EOT
    The single table's keys and overloaded GSIs, generated from the code's declarations into
    single_table.auto.tfvars.json: regenerate that file, do not edit it or set this anywhere else.
  EOT
  type = object({
    hash_key       = string
    hash_key_type  = string
    range_key      = string
    range_key_type = string
    global_secondary_indexes = list(object({
      name               = string
      hash_key           = string
      hash_key_type      = string
      range_key          = string
      range_key_type     = string
      projection_type    = string
      non_key_attributes = list(string)
    }))
    stream_view_type = string
    ttl_attribute    = string
  })
}

variable "single_table_replication" {
  description = <<-EOT
    The old tables that declare no stream, which replication (migrate replicate) reads during the migration,
    and the stream view it needs: with single_table_enabled main.tf turns their streams on. Generated with
    var.single_table into single_table.auto.tfvars.json: regenerate that file, do not set this elsewhere.
  EOT
  type = object({
    stream_view_type = string
    tables           = list(string)
  })
}
