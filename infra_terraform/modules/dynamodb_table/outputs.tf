output "table_name" {
  description = "Name of the table."
  value       = local.table.name
}

output "table_id" {
  description = "ID of the table (its name)."
  value       = local.table.id
}

output "table_arn" {
  description = "ARN of the table."
  value       = local.table.arn
}

output "table_stream_arn" {
  description = "ARN of the table's stream; null when streams are off."
  value       = var.stream_enabled ? local.table.stream_arn : null
}

output "table_stream_label" {
  description = "Timestamp label of the table's stream; null when streams are off."
  value       = var.stream_enabled ? local.table.stream_label : null
}

output "global_secondary_index_names" {
  description = "Names of the table's global secondary indexes, in declaration order."
  value       = local.global_secondary_index_names
}

output "key_attributes" {
  description = "The attribute definitions of the table: key attribute name => type (S, N or B), table and index keys together."
  value       = local.key_attribute_types
}
