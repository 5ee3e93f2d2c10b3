output "alarm_names" {
  description = "The names of the alarms made (empty when alarms_enabled is false)."
  value       = sort([for alarm in aws_cloudwatch_metric_alarm.consumer : alarm.alarm_name])
}
