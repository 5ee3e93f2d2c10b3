# The service's tables, one module call per table, mirroring graphql_api/tables.py (the
# declarations the code uses). tests/terraform/test_terraform_contract.py compares the two, so
# keep the key and index arguments below as literals.

locals {
  # Set when the tables live in DynamoDB Local (or another emulator) instead of AWS.
  emulated = var.dynamodb_endpoint != null
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

module "customers" {
  source = "./modules/dynamodb_table"

  name          = "${var.name_prefix}Customers"
  hash_key      = "CustomerId"
  hash_key_type = "S"

  global_secondary_indexes = [
    {
      name            = "EmailIndex"
      hash_key        = "Email"
      hash_key_type   = "S"
      projection_type = "ALL"
    },
  ]

  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags

  # UserErrors is one metric for the whole account and region: one alarm, carried here.
  user_errors_alarm_enabled = true
}

# The email-uniqueness guard: one item per email address in use, written in the same
# transaction as the customer, so two customers can never hold the same address.
module "customer_emails" {
  source = "./modules/dynamodb_table"

  name          = "${var.name_prefix}CustomerEmails"
  hash_key      = "Email"
  hash_key_type = "S"

  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags
}

module "orders" {
  source = "./modules/dynamodb_table"

  name          = "${var.name_prefix}Orders"
  hash_key      = "OrderId"
  hash_key_type = "S"

  global_secondary_indexes = [
    {
      name            = "CustomerIndex"
      hash_key        = "CustomerId"
      hash_key_type   = "S"
      range_key       = "OrderDate"
      range_key_type  = "S"
      projection_type = "ALL"
    },
    {
      name            = "StatusIndex"
      hash_key        = "Status"
      hash_key_type   = "S"
      range_key       = "OrderDate"
      range_key_type  = "S"
      projection_type = "ALL"
    },
  ]

  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags
}

module "order_items" {
  source = "./modules/dynamodb_table"

  name           = "${var.name_prefix}OrderItems"
  hash_key       = "OrderId"
  hash_key_type  = "S"
  range_key      = "ItemId"
  range_key_type = "S"

  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags
}

module "products" {
  source = "./modules/dynamodb_table"

  name          = "${var.name_prefix}Products"
  hash_key      = "ProductId"
  hash_key_type = "S"

  global_secondary_indexes = [
    {
      name            = "CategoryIndex"
      hash_key        = "Category"
      hash_key_type   = "S"
      range_key       = "Name"
      range_key_type  = "S"
      projection_type = "ALL"
    },
  ]

  point_in_time_recovery_enabled     = var.point_in_time_recovery_enabled
  deletion_protection_enabled        = var.deletion_protection_enabled
  server_side_encryption_enabled     = var.server_side_encryption_enabled
  server_side_encryption_kms_key_arn = var.server_side_encryption_kms_key_arn
  alarms_enabled                     = var.alarms_enabled
  alarm_sns_topic_arn                = var.alarm_sns_topic_arn
  tags                               = var.tags
}
