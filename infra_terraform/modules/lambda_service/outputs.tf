output "function_name" {
  description = "Name of the Lambda function."
  value       = aws_lambda_function.this.function_name
}

output "function_arn" {
  description = "ARN of the Lambda function."
  value       = aws_lambda_function.this.arn
}

output "role_name" {
  description = "Name of the function's IAM role."
  value       = aws_iam_role.this.name
}

output "role_arn" {
  description = "ARN of the function's IAM role."
  value       = aws_iam_role.this.arn
}

output "log_group_name" {
  description = "The function's CloudWatch Logs group."
  value       = aws_cloudwatch_log_group.this.name
}

output "api_id" {
  description = "ID of the HTTP API."
  value       = aws_apigatewayv2_api.this.id
}

output "url" {
  description = "The service's base URL (the HTTP API's default endpoint): GraphQL at <url>/graphql."
  value       = aws_apigatewayv2_api.this.api_endpoint
}

output "dynamodb_policy" {
  description = "The role's DynamoDB policy document (JSON): one statement per action, exactly the resources given."
  value       = jsonencode(local.dynamodb_policy)
}

output "alarm_names" {
  description = "Names of the CloudWatch alarms, by metric (Errors, Throttles, Duration, RateLimited, RateLimitStoreUnavailable); empty when alarms are off."
  value = merge(
    { for metric, alarm in aws_cloudwatch_metric_alarm.function : metric => alarm.alarm_name },
    { for metric, alarm in aws_cloudwatch_metric_alarm.log : metric => alarm.alarm_name },
  )
}

output "cdn_domain_name" {
  description = "The CloudFront distribution's domain name (GraphQL at https://<domain>/graphql); null when cdn_enabled is false."
  value       = var.cdn_enabled ? aws_cloudfront_distribution.this[0].domain_name : null
}

output "cdn_distribution_id" {
  description = "ID of the CloudFront distribution; null when cdn_enabled is false."
  value       = var.cdn_enabled ? aws_cloudfront_distribution.this[0].id : null
}
