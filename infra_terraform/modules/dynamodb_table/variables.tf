################################################################################
# Table
################################################################################

variable "name" {
  description = "Name of the DynamoDB table (required), including any environment prefix."
  type        = string
  default     = null

  validation {
    condition     = can(regex("^[a-zA-Z0-9_.-]{3,255}$", var.name))
    error_message = "The name is required: 3 to 255 characters among a-z, A-Z, 0-9, '_', '-' and '.'."
  }
}

variable "hash_key" {
  description = "Name of the partition (hash) key attribute (required)."
  type        = string
  default     = null

  validation {
    condition     = can(regex("^.{1,255}$", var.hash_key))
    error_message = "The hash_key is required: an attribute name of 1 to 255 characters."
  }
}

variable "hash_key_type" {
  description = "Type of the hash key attribute: S (string), N (number) or B (binary)."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.hash_key_type)
    error_message = "The hash_key_type must be one of S, N or B."
  }
}

variable "range_key" {
  description = "Name of the sort (range) key attribute; null for a table with a hash key only."
  type        = string
  default     = null

  validation {
    condition     = var.range_key == null || can(regex("^.{1,255}$", var.range_key))
    error_message = "The range_key must be null or an attribute name of 1 to 255 characters."
  }
}

variable "range_key_type" {
  description = "Type of the range key attribute: S, N or B. Ignored without range_key."
  type        = string
  default     = "S"

  validation {
    condition     = contains(["S", "N", "B"], var.range_key_type)
    error_message = "The range_key_type must be one of S, N or B."
  }
}

variable "global_secondary_indexes" {
  description = <<-EOT
    Global secondary indexes, one object per index with the attributes name, hash_key,
    hash_key_type (S, N or B) and projection_type (ALL, KEYS_ONLY or INCLUDE), and optionally
    range_key, range_key_type (S, N or B; default S), non_key_attributes (list of strings, with
    INCLUDE only and always), read_capacity and write_capacity (PROVISIONED only; default to the
    table's). Typed `any` because Terraform 1.0 has no optional object attributes; validation
    blocks check the shape.
  EOT
  type        = any
  default     = []

  validation {
    condition     = can(length(var.global_secondary_indexes)) && try(length(var.global_secondary_indexes) <= 20, false)
    error_message = "The global_secondary_indexes must be a list of at most 20 objects."
  }

  validation {
    condition = try(alltrue([
      for index in var.global_secondary_indexes :
      can(regex("^[a-zA-Z0-9_.-]{3,255}$", index.name)) && can(regex("^.{1,255}$", index.hash_key))
    ]), false)
    error_message = "Every global secondary index needs a name (3 to 255 characters among a-z, A-Z, 0-9, '_', '-', '.') and a hash_key."
  }

  validation {
    condition = try(alltrue([
      for index in var.global_secondary_indexes : contains(["S", "N", "B"], index.hash_key_type)
    ]), false)
    error_message = "Every global secondary index needs a hash_key_type of S, N or B."
  }

  validation {
    condition = try(alltrue([
      for index in var.global_secondary_indexes :
      try(index.range_key, null) == null || (
        can(regex("^.{1,255}$", index.range_key)) &&
        contains(["S", "N", "B"], coalesce(try(index.range_key_type, null), "S"))
      )
    ]), false)
    error_message = "A global secondary index range_key must be an attribute name, with a range_key_type of S, N or B."
  }

  validation {
    condition = try(alltrue([
      for index in var.global_secondary_indexes : contains(["ALL", "KEYS_ONLY", "INCLUDE"], index.projection_type)
    ]), false)
    error_message = "Every global secondary index needs a projection_type of ALL, KEYS_ONLY or INCLUDE."
  }

  validation {
    condition = try(alltrue([
      for index in var.global_secondary_indexes :
      (index.projection_type == "INCLUDE") == (try(length(compact(tolist(index.non_key_attributes))), 0) > 0)
    ]), false)
    error_message = "The non_key_attributes of a global secondary index must be given with projection_type INCLUDE, and only then."
  }

  validation {
    condition = try(
      length(distinct([for index in var.global_secondary_indexes : index.name])) == length(var.global_secondary_indexes),
      false,
    )
    error_message = "Global secondary index names must be unique within the table."
  }
}

variable "billing_mode" {
  description = "PAY_PER_REQUEST (on-demand) or PROVISIONED (capacity below, optionally autoscaled)."
  type        = string
  default     = "PAY_PER_REQUEST"

  validation {
    condition     = contains(["PAY_PER_REQUEST", "PROVISIONED"], var.billing_mode)
    error_message = "The billing_mode must be PAY_PER_REQUEST or PROVISIONED."
  }
}

variable "read_capacity" {
  description = "Read capacity units of the table and, unless an index sets its own, of each index. PROVISIONED only; with autoscaling, the starting capacity."
  type        = number
  default     = 5

  validation {
    condition     = var.read_capacity >= 1 && floor(var.read_capacity) == var.read_capacity
    error_message = "The read_capacity must be a whole number of at least 1."
  }
}

variable "write_capacity" {
  description = "Write capacity units of the table and, unless an index sets its own, of each index. PROVISIONED only; with autoscaling, the starting capacity."
  type        = number
  default     = 5

  validation {
    condition     = var.write_capacity >= 1 && floor(var.write_capacity) == var.write_capacity
    error_message = "The write_capacity must be a whole number of at least 1."
  }
}

################################################################################
# Protection and encryption
################################################################################

variable "point_in_time_recovery_enabled" {
  description = "Keep continuous backups for point-in-time recovery (35 days). DynamoDB Local does not support it: turn it off there."
  type        = bool
  default     = true
}

variable "deletion_protection_enabled" {
  description = "Refuse DeleteTable (and so `terraform destroy`) until this is turned off."
  type        = bool
  default     = true
}

variable "server_side_encryption_enabled" {
  description = "Encrypt at rest with a KMS key: the key below, or the AWS managed key aws/dynamodb when it is null. When false, DynamoDB still encrypts with an AWS owned key, which cannot be audited in CloudTrail."
  type        = bool
  default     = true
}

variable "server_side_encryption_kms_key_arn" {
  description = "ARN of a customer managed KMS key for encryption at rest; null uses the AWS managed key aws/dynamodb. Ignored when server_side_encryption_enabled is false."
  type        = string
  default     = null

  validation {
    condition     = var.server_side_encryption_kms_key_arn == null || can(regex("^arn:aws[a-zA-Z-]*:kms:[a-z0-9-]+:[0-9]{12}:key/.+$", var.server_side_encryption_kms_key_arn))
    error_message = "The server_side_encryption_kms_key_arn must be null or a KMS key ARN (arn:aws:kms:<region>:<account>:key/<id>)."
  }
}

################################################################################
# Optional table features
################################################################################

variable "ttl_attribute" {
  description = "Name of the attribute holding each item's expiry time (epoch seconds); null leaves Time to Live off."
  type        = string
  default     = null

  validation {
    condition     = var.ttl_attribute == null || can(regex("^.{1,255}$", var.ttl_attribute))
    error_message = "The ttl_attribute must be null or an attribute name of 1 to 255 characters."
  }
}

variable "stream_enabled" {
  description = "Enable DynamoDB Streams on the table."
  type        = bool
  default     = false
}

variable "stream_view_type" {
  description = "What a stream record holds when streams are enabled: KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  type        = string
  default     = "NEW_AND_OLD_IMAGES"

  validation {
    condition     = contains(["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"], var.stream_view_type)
    error_message = "The stream_view_type must be one of KEYS_ONLY, NEW_IMAGE, OLD_IMAGE or NEW_AND_OLD_IMAGES."
  }
}

variable "tags" {
  description = "Tags for the table and its alarms. DynamoDB Local does not support tagging: leave empty there."
  type        = map(string)
  default     = {}
}

################################################################################
# Autoscaling (PROVISIONED only)
################################################################################

variable "autoscaling_enabled" {
  description = "Let Application Auto Scaling move the read and write capacity of the table and its indexes between the bounds below. Only with billing_mode PROVISIONED; ignored on-demand."
  type        = bool
  default     = false
}

variable "autoscaling_read" {
  description = "Read capacity bounds and target utilization (percent, 20 to 90) for autoscaling."
  type = object({
    min_capacity       = number
    max_capacity       = number
    target_utilization = number
  })
  default = {
    min_capacity       = 5
    max_capacity       = 100
    target_utilization = 70
  }

  validation {
    condition     = var.autoscaling_read.min_capacity >= 1 && var.autoscaling_read.max_capacity >= var.autoscaling_read.min_capacity
    error_message = "The autoscaling_read capacities must satisfy 1 <= min_capacity <= max_capacity."
  }

  validation {
    condition     = var.autoscaling_read.target_utilization >= 20 && var.autoscaling_read.target_utilization <= 90
    error_message = "The autoscaling_read target_utilization must be between 20 and 90 (percent)."
  }
}

variable "autoscaling_write" {
  description = "Write capacity bounds and target utilization (percent, 20 to 90) for autoscaling."
  type = object({
    min_capacity       = number
    max_capacity       = number
    target_utilization = number
  })
  default = {
    min_capacity       = 5
    max_capacity       = 100
    target_utilization = 70
  }

  validation {
    condition     = var.autoscaling_write.min_capacity >= 1 && var.autoscaling_write.max_capacity >= var.autoscaling_write.min_capacity
    error_message = "The autoscaling_write capacities must satisfy 1 <= min_capacity <= max_capacity."
  }

  validation {
    condition     = var.autoscaling_write.target_utilization >= 20 && var.autoscaling_write.target_utilization <= 90
    error_message = "The autoscaling_write target_utilization must be between 20 and 90 (percent)."
  }
}

variable "autoscaling_scale_in_cooldown" {
  description = "Seconds after a scale-in before another scaling activity may start."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_scale_in_cooldown >= 0
    error_message = "The autoscaling_scale_in_cooldown must not be negative."
  }
}

variable "autoscaling_scale_out_cooldown" {
  description = "Seconds after a scale-out before another scaling activity may start."
  type        = number
  default     = 60

  validation {
    condition     = var.autoscaling_scale_out_cooldown >= 0
    error_message = "The autoscaling_scale_out_cooldown must not be negative."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarms_enabled" {
  description = "Create CloudWatch alarms for this table: read and write throttle events (table and each index) and system errors."
  type        = bool
  default     = false
}

variable "user_errors_alarm_enabled" {
  description = "Also create an alarm on UserErrors. That metric is per account and region, not per table: enable it in one module call only. Needs alarms_enabled."
  type        = bool
  default     = false
}

variable "alarm_sns_topic_arn" {
  description = "SNS topic notified when an alarm fires and when it recovers; null creates the alarms without notifications."
  type        = string
  default     = null

  validation {
    condition     = var.alarm_sns_topic_arn == null || can(regex("^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:[0-9]{12}:.+$", var.alarm_sns_topic_arn))
    error_message = "The alarm_sns_topic_arn must be null or an SNS topic ARN (arn:aws:sns:<region>:<account>:<topic>)."
  }
}

variable "alarm_period" {
  description = "Length in seconds of the period over which each alarm sums its metric (a multiple of 60)."
  type        = number
  default     = 300

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period % 60 == 0
    error_message = "The alarm_period must be a multiple of 60 seconds."
  }
}

variable "alarm_evaluation_periods" {
  description = "Number of consecutive periods at or over the threshold before an alarm fires."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "The alarm_evaluation_periods must be a whole number of at least 1."
  }
}

variable "alarm_throttle_events_threshold" {
  description = "Throttle events (read or write, per table or index) in one period that fire the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_throttle_events_threshold >= 1
    error_message = "The alarm_throttle_events_threshold must be at least 1."
  }
}

variable "alarm_system_errors_threshold" {
  description = "System errors (HTTP 500 from DynamoDB) on the table in one period that fire the alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_system_errors_threshold >= 1
    error_message = "The alarm_system_errors_threshold must be at least 1."
  }
}

variable "alarm_system_errors_operations" {
  description = "Operations whose SystemErrors are summed by the system-errors alarm (the metric has an Operation dimension; a metric math alarm reads at most 10 metrics)."
  type        = list(string)
  default = [
    "GetItem",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "Query",
    "Scan",
    "BatchGetItem",
    "BatchWriteItem",
    "TransactGetItems",
    "TransactWriteItems",
  ]

  validation {
    condition     = length(var.alarm_system_errors_operations) >= 1 && length(var.alarm_system_errors_operations) <= 10
    error_message = "The alarm_system_errors_operations must list 1 to 10 operations."
  }

  validation {
    condition = alltrue([
      for operation in var.alarm_system_errors_operations : contains([
        "GetItem", "PutItem", "UpdateItem", "DeleteItem", "Query", "Scan", "BatchGetItem",
        "BatchWriteItem", "TransactGetItems", "TransactWriteItems", "ExecuteStatement",
        "BatchExecuteStatement", "ExecuteTransaction", "GetRecords",
      ], operation)
    ])
    error_message = "The alarm_system_errors_operations must be DynamoDB data-plane operations (GetItem, PutItem, Query, TransactWriteItems, ...)."
  }
}

variable "alarm_user_errors_threshold" {
  description = "UserErrors (HTTP 400 responses other than throttling and failed conditional writes) in the whole account and region in one period that fire the UserErrors alarm."
  type        = number
  default     = 10

  validation {
    condition     = var.alarm_user_errors_threshold >= 1
    error_message = "The alarm_user_errors_threshold must be at least 1."
  }
}
