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
