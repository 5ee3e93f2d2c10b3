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

variable "tags" {
  description = "Tags for every table and alarm. DynamoDB Local does not support tagging: keep empty there."
  type        = map(string)
  default     = {}
}

variable "tables" {
  description = <<-EOT
    The tables, by name without the prefix: each one's keys, key types (S, N or B), global secondary
    indexes and stream. Generated from the code's declarations into tables.auto.tfvars.json, which
    Terraform loads by itself: regenerate that file (python -m graphql_api.terraform_data), do not
    edit it or set this variable anywhere else. Every attribute is present, null where absent
    (Terraform 1.0 has no optional object attributes); stream_view_type null means no stream.
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
  }))

  validation {
    condition = alltrue([
      for table in values(var.tables) :
      table.stream_view_type == null || contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], coalesce(table.stream_view_type, "none"))
    ])
    error_message = "A table's stream_view_type must be null (no stream), KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}
