################################################################################
# The function
################################################################################

variable "name" {
  description = "Name of the function (required); also names its role, log group, HTTP API and alarms."
  type        = string

  validation {
    condition     = can(regex("^[a-zA-Z0-9_-]{1,64}$", var.name))
    error_message = "The name must be 1 to 64 characters among a-z, A-Z, 0-9, '-' and '_'."
  }
}

variable "package_path" {
  description = "Path of the deployment zip that `graphql-api package lambda` builds (default build/lambda/graphql-api-lambda.zip in the repository). It must exist at plan time: its hash decides whether the code changes."
  type        = string

  validation {
    condition     = can(regex("\\.zip$", var.package_path))
    error_message = "The package_path must name a .zip file."
  }
}

variable "handler" {
  description = "The function's handler: graphql_api.aws_lambda.handler serves HTTP API (payload 2.0) events."
  type        = string
  default     = "graphql_api.aws_lambda.handler"
}

variable "runtime" {
  description = "Lambda runtime. The zip holds compiled wheels and bytecode for one Python version (graphql_api.ops.package_lambda.PYTHON_VERSION): change both together."
  type        = string
  default     = "python3.11"

  validation {
    condition     = can(regex("^python3\\.[0-9]+$", var.runtime))
    error_message = "The runtime must be a Python runtime such as python3.11."
  }
}

variable "memory_size" {
  description = "Memory of the function in MB (128 to 10240); Lambda gives CPU in proportion, so it also sets the speed of a cold start."
  type        = number
  default     = 1024

  validation {
    condition     = var.memory_size >= 128 && var.memory_size <= 10240 && floor(var.memory_size) == var.memory_size
    error_message = "The memory_size must be a whole number of MB from 128 to 10240."
  }
}

variable "timeout" {
  description = "Seconds one invocation may run. The HTTP API waits 30 seconds at most, so more than 29 only keeps a function running after its caller got a 503."
  type        = number
  default     = 29

  validation {
    condition     = var.timeout >= 1 && var.timeout <= 29 && floor(var.timeout) == var.timeout
    error_message = "The timeout must be a whole number of seconds from 1 to 29 (the HTTP API's limit is 30)."
  }
}

variable "reserved_concurrent_executions" {
  description = "Concurrent executions reserved for (and limiting) the function; -1 leaves it unreserved, in the account's pool."
  type        = number
  default     = -1

  validation {
    condition     = var.reserved_concurrent_executions >= -1 && floor(var.reserved_concurrent_executions) == var.reserved_concurrent_executions
    error_message = "The reserved_concurrent_executions must be -1 (unreserved) or a whole number of at least 0."
  }
}

variable "layers" {
  description = "ARNs of Lambda layers for the function, such as the AWS Distro for OpenTelemetry (ADOT) Python layer for traces (see the README); empty: none."
  type        = list(string)
  default     = []
}

variable "environment" {
  description = "The service's settings as environment variables (docs/reference/settings.md): TABLE_PREFIX, AUTH_ISSUER, AUTH_AUDIENCE, CORS_ALLOW_ORIGINS, LOG_LEVEL... Without AUTH_ISSUER (or AUTH_MODE=none) the function refuses to start. Not CURSOR_SECRET (see cursor_secret), nor AWS_* (Lambda sets the region and the role's credentials) or DYNAMODB_ENDPOINT_URL."
  type        = map(string)

  validation {
    condition     = contains(keys(var.environment), "AUTH_ISSUER") || lookup(var.environment, "AUTH_MODE", "oidc") == "none"
    error_message = "The environment must set AUTH_ISSUER (the token issuer, e.g. the Cognito user pool's), or AUTH_MODE=none for an API open to anyone as admin."
  }

  validation {
    condition = length([
      for name in keys(var.environment) : name
      if can(regex("^AWS_", name)) || contains(["CURSOR_SECRET", "DYNAMODB_ENDPOINT_URL", "_HANDLER", "LAMBDA_TASK_ROOT"], name)
    ]) == 0
    error_message = "The environment must not set AWS_* (reserved by Lambda), DYNAMODB_ENDPOINT_URL (the function talks to DynamoDB in its region) or CURSOR_SECRET (use cursor_secret)."
  }
}

variable "cursor_secret" {
  description = "CURSOR_SECRET: one or more comma-separated secrets signing pagination cursors (the first signs, all verify), the same as every other instance's. Stored in the state and in the function's configuration: keep the state private."
  type        = string
  sensitive   = true

  validation {
    condition     = length(trimspace(var.cursor_secret)) >= 16
    error_message = "The cursor_secret must hold at least 16 characters."
  }
}

variable "log_retention_days" {
  description = "Days CloudWatch Logs keeps the function's logs (one JSON line per request)."
  type        = number
  default     = 30

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "The log_retention_days must be a retention CloudWatch Logs offers (1, 3, 5, 7, 14, 30, 60, 90, ..., 3653)."
  }
}

variable "tags" {
  description = "Tags for every resource of the module."
  type        = map(string)
  default     = {}
}

################################################################################
# DynamoDB access
################################################################################

variable "dynamodb_permissions" {
  description = "The DynamoDB (action, resource) pairs the role allows, and nothing else: actions such as dynamodb:Query, resources the exact ARNs of tables, indexes (<table ARN>/index/<name>) and streams. infra_terraform/service.tf passes the data generated from the code (graphql_api.ops.iam_policy)."
  type = list(object({
    action   = string
    resource = string
  }))

  validation {
    condition     = length(var.dynamodb_permissions) > 0
    error_message = "The dynamodb_permissions are empty: generate them (python -m graphql_api.ops.iam_policy > infra_terraform/dynamodb_access.auto.tfvars.json)."
  }

  validation {
    condition     = alltrue([for permission in var.dynamodb_permissions : can(regex("^dynamodb:[A-Za-z]+$", permission.action))])
    error_message = "Every action must be one DynamoDB action, such as dynamodb:GetItem: no wildcard."
  }

  validation {
    condition = alltrue([
      for permission in var.dynamodb_permissions :
      can(regex("^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]+(/index/[a-zA-Z0-9_.-]+|/stream/[0-9T:.-]+)?$", permission.resource))
    ])
    error_message = "Every resource must be the exact ARN of a table, an index (<table ARN>/index/<name>) or a stream: no wildcard."
  }
}

variable "migration_permissions" {
  description = "More DynamoDB (action, resource) pairs, on the single table of the migration to single-table: their own statements (Sid SingleTable<Action>). infra_terraform/service.tf passes the generated `migration` grants with single_table_enabled, none without."
  type = list(object({
    action   = string
    resource = string
  }))
  default = []

  # dynamodb_permissions' two checks, in one.
  validation {
    condition = alltrue([
      for permission in var.migration_permissions : can(regex("^dynamodb:[A-Za-z]+$", permission.action)) && can(
        regex("^arn:aws[a-zA-Z-]*:dynamodb:[a-z0-9-]+:[0-9]{12}:table/[a-zA-Z0-9_.-]+(/index/[a-zA-Z0-9_.-]+|/stream/[0-9T:.-]+)?$", permission.resource)
      )
    ])
    error_message = "Every action must be one DynamoDB action, such as dynamodb:GetItem, and every resource the exact ARN of a table, an index or a stream: no wildcard."
  }
}

################################################################################
# HTTP API
################################################################################

variable "throttling_burst_limit" {
  description = "Requests the HTTP API lets through at once before answering 429."
  type        = number
  default     = 500

  validation {
    condition     = var.throttling_burst_limit >= 0 && floor(var.throttling_burst_limit) == var.throttling_burst_limit
    error_message = "The throttling_burst_limit must be a whole number of at least 0."
  }
}

variable "throttling_rate_limit" {
  description = "Requests per second the HTTP API accepts, sustained, before answering 429."
  type        = number
  default     = 1000

  validation {
    condition     = var.throttling_rate_limit >= 0
    error_message = "The throttling_rate_limit must be at least 0."
  }
}

################################################################################
# Alarms
################################################################################

variable "alarms_enabled" {
  description = "Create the CloudWatch alarms on the function's errors, throttles and p99 duration."
  type        = bool
  default     = true
}

variable "alarm_actions" {
  description = "ARNs notified when an alarm fires and when it recovers (SNS topics); empty creates the alarms without notifications."
  type        = list(string)
  default     = []
}

variable "alarm_period" {
  description = "Length in seconds of the period over which each alarm reads its metric (a multiple of 60)."
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

variable "alarm_errors_threshold" {
  description = "Invocations that failed (an exception out of the handler, a timeout, a crash; not GraphQL errors, which are answers) in one period that fire the errors alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_errors_threshold >= 1
    error_message = "The alarm_errors_threshold must be at least 1."
  }
}

variable "alarm_throttles_threshold" {
  description = "Invocations refused for lack of concurrency in one period that fire the throttles alarm."
  type        = number
  default     = 1

  validation {
    condition     = var.alarm_throttles_threshold >= 1
    error_message = "The alarm_throttles_threshold must be at least 1."
  }
}

variable "alarm_duration_p99_threshold_ms" {
  description = "The p99 of invocation durations, in milliseconds, over one period, at or over which the duration alarm fires. Cold starts (about 1 s of init) count in it."
  type        = number
  default     = 3000

  validation {
    condition     = var.alarm_duration_p99_threshold_ms > 0
    error_message = "The alarm_duration_p99_threshold_ms must be greater than 0."
  }
}

variable "alarm_rate_limited_threshold" {
  description = "Requests refused with 429 RATE_LIMITED (the service's rate limits, not the HTTP API's throttle) in one period that fire the RateLimited alarm."
  type        = number
  default     = 100

  validation {
    condition     = var.alarm_rate_limited_threshold >= 1
    error_message = "The alarm_rate_limited_threshold must be at least 1."
  }
}

variable "cdn_enabled" {
  description = "Put CloudFront in front of the HTTP API (cdn.tf): it keeps the public answers (GETs of public trusted documents) and revalidates them with If-None-Match; everything else passes through."
  type        = bool
  default     = false
}

variable "cdn_price_class" {
  description = "CloudFront price class of the distribution: PriceClass_100, PriceClass_200 or PriceClass_All."
  type        = string
  default     = "PriceClass_100"

  validation {
    condition     = contains(["PriceClass_100", "PriceClass_200", "PriceClass_All"], var.cdn_price_class)
    error_message = "The cdn_price_class must be PriceClass_100, PriceClass_200 or PriceClass_All."
  }
}

variable "cdn_max_ttl" {
  description = "Seconds CloudFront keeps an answer at most, whatever its Cache-Control says (PUBLIC_CACHE_CONTROL decides below it)."
  type        = number
  default     = 3600
}
