# The service's tables: one instance of modules/dynamodb_table per entry of var.tables. That
# variable is data, generated from the code's table declarations (graphql_api/repositories) into
# tables.auto.tfvars.json, which Terraform loads by itself; regenerate it with
#   python -m graphql_api.ops.terraform_data > infra_terraform/tables.auto.tfvars.json
# What every table shares (posture, alarms, tags) is set once here, from the root variables.

locals {
  # Set when the tables live in DynamoDB Local (or another emulator) instead of AWS.
  emulated = var.dynamodb_endpoint != null

  # UserErrors is one metric for the whole account and region: one alarm, carried by this table.
  user_errors_alarm_table = "Customers"
}

provider "aws" {
  region = var.region

  # DynamoDB Local accepts any credentials (letters and digits only) and has no STS, IAM or
  # instance metadata behind it; against AWS the normal credential chain applies.
  access_key                  = local.emulated ? "local" : null
  secret_key                  = local.emulated ? "local" : null
  skip_credentials_validation = local.emulated
  skip_requesting_account_id  = local.emulated
  skip_metadata_api_check     = local.emulated

  dynamic "endpoints" {
    for_each = local.emulated ? [var.dynamodb_endpoint] : []

    content {
      dynamodb = endpoints.value
    }
  }
}

module "table" {
  source   = "./modules/dynamodb_table"
  for_each = var.tables

  # Per table, from the generated data. The coalesce() defaults only satisfy the module's
  # validation: a range key type without a range key, a view type without a stream, are ignored.
  # With single_table_enabled, a table replication reads that declares no stream gets the migration's
  # (var.single_table_replication), so that an apply keeps what replication needs.
  name                     = "${var.name_prefix}${each.key}"
  hash_key                 = each.value.hash_key
  hash_key_type            = each.value.hash_key_type
  range_key                = each.value.range_key
  range_key_type           = coalesce(each.value.range_key_type, "S")
  global_secondary_indexes = each.value.global_secondary_indexes
  stream_enabled           = each.value.stream_view_type != null || (var.single_table_enabled && contains(var.single_table_replication.tables, each.key))
  stream_view_type         = coalesce(each.value.stream_view_type, var.single_table_replication.stream_view_type)
  ttl_attribute            = each.value.ttl_attribute

  # Shared by every table, once: envs/*.tfvars decide. Billing stays the module's on-demand default.
  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags
  user_errors_alarm_enabled          = each.key == local.user_errors_alarm_table
}
