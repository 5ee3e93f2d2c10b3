# What the resources are made from, computed from the inputs only (no resource is read here), so that
# `terraform console` can evaluate it without a provider (tests/terraform/test_service_module.py).

locals {
  # The role's DynamoDB policy: one statement per action, listing exactly the resources given for it; the
  # migration's own statements (Sid SingleTable<Action>) after the service's, so that they go with their flag.
  dynamodb_permission_sets = { "" = var.dynamodb_permissions, "SingleTable" = var.migration_permissions }
  dynamodb_policy = {
    Version = "2012-10-17"
    Statement = flatten([
      for sid_prefix, permissions in local.dynamodb_permission_sets : [
        for action in sort(distinct([for permission in permissions : permission.action])) : {
          Sid      = "${sid_prefix}${replace(action, "dynamodb:", "")}"
          Effect   = "Allow"
          Action   = [action]
          Resource = sort(distinct([for permission in permissions : permission.resource if permission.action == action]))
        }
      ]
    ])
  }

  # The service's settings, and the cursor secret kept out of var.environment so that it stays sensitive.
  # A frozen execution environment cannot follow the streams: a 304 is given only after running (docs/caching.md).
  environment = merge(var.environment, { CURSOR_SECRET = var.cursor_secret, PUBLIC_CACHE_FOLLOW_CHANGES = "false" })

  # What a GraphQL GET's answer varies on besides the query string: a token (its answer is private: forwarded so
  # that it is never answered from another caller's copy), the media type asked for, the CORS origin.
  cdn_cache_key_headers = ["Authorization", "Accept", "Origin"]

  # Lambda names the function's log group itself; creating it first sets its retention.
  log_group_name = "/aws/lambda/${var.name}"

  # The log-based alarms' metrics (alarms.tf) and the JSON log lines they count (graphql_api.logs): the request
  # line of a 429, and the rate limiter's warning that its store did not answer.
  log_metrics_namespace = "GraphQLApi/${var.name}"
  log_alarm_patterns = {
    RateLimited               = "{ $.message = \"http_request\" && $.status = 429 }"
    RateLimitStoreUnavailable = "{ $.message = \"rate_limit_store_unavailable\" }"
  }

  # The zip holds manylinux x86_64 wheels (graphql_api.ops.package_lambda.PLATFORM).
  architecture = "x86_64"
}
