# CloudWatch alarms on the function (namespace AWS/Lambda), all switched by alarms_enabled:
#   - Errors: invocations that failed (an exception out of the handler, a timeout, a crash). A GraphQL
#     error is an answer (HTTP 200, or 4xx/5xx written by the app), not a failed invocation;
#   - Throttles: invocations refused because the function ran out of concurrency;
#   - Duration p99: the slowest percent of invocations, cold starts included.

locals {
  alarms = var.alarms_enabled ? {
    Errors = {
      description = "Failed invocations of ${var.name} (exception, timeout or crash)."
      statistic   = "Sum"
      threshold   = var.alarm_errors_threshold
    }
    Throttles = {
      description = "Invocations of ${var.name} throttled for lack of concurrency."
      statistic   = "Sum"
      threshold   = var.alarm_throttles_threshold
    }
    Duration = {
      description = "p99 duration of ${var.name}'s invocations, in milliseconds."
      statistic   = "p99"
      threshold   = var.alarm_duration_p99_threshold_ms
    }
  } : {}
}

resource "aws_cloudwatch_metric_alarm" "function" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/Lambda"
  metric_name         = each.key
  dimensions          = { FunctionName = aws_lambda_function.this.function_name }
  statistic           = each.value.statistic == "Sum" ? "Sum" : null
  extended_statistic  = each.value.statistic == "Sum" ? null : each.value.statistic
  period              = var.alarm_period
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}

# Alarms on the service's own log lines (CloudWatch Logs metric filters on the JSON log, namespace
# GraphQLApi/<name>), also switched by alarms_enabled (docs/rate-limits.md):
#   - RateLimited: answers refused with 429 RATE_LIMITED, callers over their budgets (the request line's status);
#   - RateLimitStoreUnavailable: the rate limiter's store (DynamoDB's RateLimits table, or Redis) did not answer:
#     the warning line, at most one per execution environment every 10 s. Requests are then served without a
#     limit (RATE_LIMIT_FAIL_OPEN=true, the default) or refused with UNAVAILABLE.

locals {
  log_alarms = var.alarms_enabled ? {
    RateLimited = {
      description = "Requests to ${var.name} refused with 429 RATE_LIMITED (callers over their rate-limit budgets)."
      threshold   = var.alarm_rate_limited_threshold
    }
    RateLimitStoreUnavailable = {
      description = "The rate limiter of ${var.name} could not reach its store: requests served without a limit, or refused."
      threshold   = 1
    }
  } : {}
}

resource "aws_cloudwatch_log_metric_filter" "log" {
  for_each = local.log_alarms

  name           = "${var.name}-${each.key}"
  log_group_name = aws_cloudwatch_log_group.this.name
  pattern        = local.log_alarm_patterns[each.key]

  metric_transformation {
    name      = each.key
    namespace = local.log_metrics_namespace
    value     = "1"
  }
}

resource "aws_cloudwatch_metric_alarm" "log" {
  for_each = local.log_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = local.log_metrics_namespace
  metric_name         = aws_cloudwatch_log_metric_filter.log[each.key].metric_transformation[0].name
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
