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
