# The single table of the migration to single-table (docs/migrating-to-single-table.md): one table
# with PK, SK and overloaded GSI1..n, whose shape is data generated from the code's declarations
# into single_table.auto.tfvars.json (Terraform loads it by itself); regenerate it with
#   python -m graphql_api.ops.single_table_terraform > infra_terraform/single_table.auto.tfvars.json
# Off by default: an operator turns it on when the migration starts. A plain resource, not the
# tables' module: that module is the one for_each call over var.tables (tests/terraform checks it).
# Its variables (single_table_enabled, single_table_name, single_table) are in variables.tf.

locals {
  # Every key attribute of the table and its indexes, once, with its type.
  single_table_attributes = merge(
    { (var.single_table.hash_key) = var.single_table.hash_key_type },
    { (var.single_table.range_key) = var.single_table.range_key_type },
    { for index in var.single_table.global_secondary_indexes : index.hash_key => index.hash_key_type },
    { for index in var.single_table.global_secondary_indexes : index.range_key => index.range_key_type },
  )
}

resource "aws_dynamodb_table" "single_table" {
  count = var.single_table_enabled ? 1 : 0

  name                        = "${var.name_prefix}${var.single_table_name}"
  billing_mode                = "PAY_PER_REQUEST"
  hash_key                    = var.single_table.hash_key
  range_key                   = var.single_table.range_key
  deletion_protection_enabled = var.deletion_protection_enabled
  # The live updates follow its stream from the reads phase on (docs/live-updates.md#migrating-to-single-table).
  stream_enabled   = var.single_table.stream_view_type != null
  stream_view_type = var.single_table.stream_view_type

  dynamic "attribute" {
    for_each = local.single_table_attributes

    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = var.single_table.global_secondary_indexes

    content {
      name            = global_secondary_index.value.name
      hash_key        = global_secondary_index.value.hash_key
      range_key       = global_secondary_index.value.range_key
      projection_type = global_secondary_index.value.projection_type
    }
  }

  # The same posture as every table of the service (main.tf's shared arguments).
  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = var.server_side_encryption_enabled
    kms_key_arn = var.server_side_encryption_enabled ? var.server_side_encryption_kms_key_arn : null
  }

  tags = var.tags
}
