output "table_names" {
  description = "Physical table names, by table (the keys of var.tables, as the code declares them)."
  value       = { for table, instance in module.table : table => instance.table_name }
}

output "table_arns" {
  description = "Table ARNs, by table, e.g. for IAM policies of the service."
  value       = { for table, instance in module.table : table => instance.table_arn }
}

output "table_stream_arns" {
  description = "Stream ARNs, by table; null for a table without a stream (stream_view_type null)."
  value       = { for table, instance in module.table : table => instance.table_stream_arn }
}

output "service_url" {
  description = "The service's base URL (GraphQL at <url>/graphql); null unless var.service.enabled."
  value       = one(module.service[*].url)
}

output "service_cdn_domain_name" {
  description = "The CloudFront domain in front of the service (GraphQL at https://<domain>/graphql); null unless var.service.cdn_enabled."
  value       = one(module.service[*].cdn_domain_name)
}

output "service_function_name" {
  description = "Name of the service's Lambda function; null unless var.service.enabled."
  value       = one(module.service[*].function_name)
}

output "service_role_arn" {
  description = "ARN of the service's IAM role; null unless var.service.enabled."
  value       = one(module.service[*].role_arn)
}

output "service_log_group_name" {
  description = "The service's CloudWatch Logs group; null unless var.service.enabled."
  value       = one(module.service[*].log_group_name)
}

output "service_dynamodb_permissions" {
  description = "The service's DynamoDB (action, resource ARN) pairs, by part: `api` is the Lambda role's policy; a role for a long-running `graphql-api serve` reading the streams itself needs `api` and `subscriptions`; with LIVE_BUS the instances need `api` and `graphql-api relay` needs `subscriptions` (the streams and its LiveLeases)."
  value       = local.dynamodb_permissions
}

output "user_pool_id" {
  description = "ID of the Cognito user pool; null unless var.user_pool.enabled."
  value       = one(aws_cognito_user_pool.this[*].id)
}

output "user_pool_issuer" {
  description = "The user pool's token issuer: the service's AUTH_ISSUER; null unless var.user_pool.enabled."
  value       = local.user_pool_issuer
}

output "user_pool_client_id" {
  description = "The user pool's app client id: the service's AUTH_AUDIENCE, and what a frontend signs in with; null unless var.user_pool.enabled."
  value       = local.user_pool_client_id
}

output "dashboard_name" {
  description = "Name of the CloudWatch dashboard; null unless var.dashboard_enabled."
  value       = one(aws_cloudwatch_dashboard.this[*].dashboard_name)
}

output "dashboard_url" {
  description = "The CloudWatch dashboard in the AWS console; null unless var.dashboard_enabled."
  value       = var.dashboard_enabled ? local.dashboard_url : null
}
