# CloudWatch alarms on the live-updates stream consumer (infra_terraform/live_bus.tf), switched by
# alarms_enabled; each has its section in docs/runbook.md:
#   - IteratorAge: the consumer falls behind its streams (subscribers get changes late);
#   - Errors: invocations that failed (the bus out of reach, a crash); Lambda retries and bisects them;
#   - DeadLetters: batches given up on after the retries, in the dead-letter queue (changes missed).

resource "aws_cloudwatch_metric_alarm" "consumer" {
  for_each = local.alarms

  alarm_name          = "${var.name}-${each.key}"
  alarm_description   = each.value.description
  namespace           = each.value.namespace
  metric_name         = each.value.metric
  dimensions          = each.value.dimensions
  statistic           = each.value.statistic
  period              = var.alarm_period
  evaluation_periods  = each.value.periods
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = each.value.threshold
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
  ok_actions          = var.alarm_actions
  tags                = var.tags
}
