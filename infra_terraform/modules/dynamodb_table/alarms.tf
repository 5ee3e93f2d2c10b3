# CloudWatch alarms for the table, all switched by alarms_enabled:
#   - ReadThrottleEvents and WriteThrottleEvents, for the table and for each index (a
#     throttled index also throttles the writes to its table);
#   - SystemErrors, summed over the operations the service uses (the metric is per operation);
#   - UserErrors, only with user_errors_alarm_enabled: that metric is per account and region.

locals {
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]

  throttle_alarms = {
    for alarm in flatten([
      for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] : concat(
        [{
          key         = metric
          metric      = metric
          description = "${metric} on DynamoDB table ${var.name}."
          dimensions  = { TableName = var.name }
        }],
        [
          for index in local.global_secondary_index_names : {
            key         = "${index}-${metric}"
            metric      = metric
            description = "${metric} on index ${index} of DynamoDB table ${var.name}."
            dimensions  = { TableName = var.name, GlobalSecondaryIndexName = index }
          }
        ],
      )
    ]) : alarm.key => alarm if var.alarms_enabled
  }

  system_errors_metric_ids = [for position, operation in var.alarm_system_errors_operations : "m${position}"]
}

resource "aws_cloudwatch_metric_alarm" "throttle_events" {
  for_each = local.throttle_alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = "AWS/DynamoDB"
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_throttle_events_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}

resource "aws_cloudwatch_metric_alarm" "system_errors" {
  count = var.alarms_enabled ? 1 : 0

  alarm_name          = "${var.name}-SystemErrors"
  alarm_description   = "SystemErrors (HTTP 500) on DynamoDB table ${var.name}, all monitored operations together."
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_system_errors_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags

  metric_query {
    id          = "total"
    label       = "SystemErrors"
    expression  = "SUM([${join(", ", local.system_errors_metric_ids)}])"
    return_data = true
  }

  dynamic "metric_query" {
    for_each = var.alarm_system_errors_operations

    content {
      id    = local.system_errors_metric_ids[metric_query.key]
      label = metric_query.value

      metric {
        namespace   = "AWS/DynamoDB"
        metric_name = "SystemErrors"
        dimensions  = { TableName = var.name, Operation = metric_query.value }
        period      = var.alarm_period
        stat        = "Sum"
      }
    }
  }
}

resource "aws_cloudwatch_metric_alarm" "user_errors" {
  count = var.alarms_enabled && var.user_errors_alarm_enabled ? 1 : 0

  alarm_name          = "${var.name}-UserErrors"
  alarm_description   = "UserErrors (HTTP 400) on DynamoDB across the whole account and region, carried by the module call for ${var.name}."
  namespace           = "AWS/DynamoDB"
  metric_name         = "UserErrors"
  statistic           = "Sum"
  period              = var.alarm_period
  evaluation_periods  = var.alarm_evaluation_periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = var.alarm_user_errors_threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.alarm_actions
  ok_actions          = local.alarm_actions
  tags                = var.tags
}
