# What the alarms are made from, computed from the inputs only, so that `terraform console` can evaluate
# their names without a provider (tests/terraform/test_runbook.py).

locals {
  # Each alarm: the metric it reads, where, how, and from how many periods.
  alarms = var.alarms_enabled ? {
    IteratorAge = {
      description = "The stream consumer ${var.name} is behind: the last record it read is this old (ms)."
      namespace   = "AWS/Lambda"
      metric      = "IteratorAge"
      dimensions  = { FunctionName = var.name }
      statistic   = "Maximum"
      threshold   = var.iterator_age_threshold_ms
      periods     = var.alarm_evaluation_periods
    }
    Errors = {
      description = "Failed invocations of the stream consumer ${var.name} (retried: changes are late)."
      namespace   = "AWS/Lambda"
      metric      = "Errors"
      dimensions  = { FunctionName = var.name }
      statistic   = "Sum"
      threshold   = var.errors_threshold
      periods     = var.alarm_evaluation_periods
    }
    DeadLetters = {
      description = "Batches the stream consumer ${var.name} gave up on, in ${var.dead_letter_queue_name}: subscribers missed those changes."
      namespace   = "AWS/SQS"
      metric      = "ApproximateNumberOfMessagesVisible"
      dimensions  = { QueueName = var.dead_letter_queue_name }
      statistic   = "Maximum"
      threshold   = 1
      periods     = 1
    }
  } : {}
}
