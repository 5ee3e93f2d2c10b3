variable "name" {
  description = "Name of the stream consumer function (required): the FunctionName the alarms watch, and their names' prefix."
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Name of the SQS queue the event source mapping sends failed batches to (required)."
  type        = string
}

variable "alarms_enabled" {
  description = "Create the alarms: the consumer behind (IteratorAge), failing (Errors), batches given up (DeadLetters)."
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
  default     = 60

  validation {
    condition     = var.alarm_period >= 60 && var.alarm_period % 60 == 0
    error_message = "The alarm_period must be a multiple of 60 seconds."
  }
}

variable "alarm_evaluation_periods" {
  description = "Consecutive periods at or over the threshold before the IteratorAge and Errors alarms fire (DeadLetters fires at once)."
  type        = number
  default     = 3

  validation {
    condition     = var.alarm_evaluation_periods >= 1 && floor(var.alarm_evaluation_periods) == var.alarm_evaluation_periods
    error_message = "The alarm_evaluation_periods must be a whole number of at least 1."
  }
}

variable "iterator_age_threshold_ms" {
  description = "Age in milliseconds of the last record read, at or over which the consumer is behind: subscribers see changes that late."
  type        = number
  default     = 60000

  validation {
    condition     = var.iterator_age_threshold_ms > 0
    error_message = "The iterator_age_threshold_ms must be greater than 0."
  }
}

variable "errors_threshold" {
  description = "Failed invocations (the bus out of reach, a crash, a timeout) in one period that fire the errors alarm; each is retried."
  type        = number
  default     = 1

  validation {
    condition     = var.errors_threshold >= 1
    error_message = "The errors_threshold must be at least 1."
  }
}

variable "tags" {
  description = "Tags for every alarm."
  type        = map(string)
  default     = {}
}
