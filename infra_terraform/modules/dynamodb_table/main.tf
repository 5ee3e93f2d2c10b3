# One DynamoDB table. There are two copies of the resource because `lifecycle.ignore_changes`
# cannot depend on a variable: with autoscaling, Application Auto Scaling owns the table's
# read/write capacity and Terraform must not reset it. Exactly one copy exists (count 1/0);
# their bodies are identical, which tests/terraform checks.

resource "aws_dynamodb_table" "this" {
  count = local.autoscaled ? 0 : 1

  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  deletion_protection_enabled = var.deletion_protection_enabled
  stream_enabled              = var.stream_enabled
  stream_view_type            = var.stream_enabled ? var.stream_view_type : null

  dynamic "attribute" {
    for_each = local.key_attribute_types

    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.global_secondary_indexes

    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.projection_type == "INCLUDE" ? global_secondary_index.value.non_key_attributes : null
      read_capacity      = local.provisioned ? global_secondary_index.value.read_capacity : null
      write_capacity     = local.provisioned ? global_secondary_index.value.write_capacity : null
    }
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]

    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  # Always rendered (not dynamic): an absent block would leave a previously enabled
  # setting on, while `enabled = false` turns it off.
  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = var.server_side_encryption_enabled
    kms_key_arn = var.server_side_encryption_enabled ? var.server_side_encryption_kms_key_arn : null
  }

  tags = var.tags
}

resource "aws_dynamodb_table" "autoscaled" {
  count = local.autoscaled ? 1 : 0

  name                        = var.name
  billing_mode                = var.billing_mode
  read_capacity               = local.provisioned ? var.read_capacity : null
  write_capacity              = local.provisioned ? var.write_capacity : null
  hash_key                    = var.hash_key
  range_key                   = var.range_key
  deletion_protection_enabled = var.deletion_protection_enabled
  stream_enabled              = var.stream_enabled
  stream_view_type            = var.stream_enabled ? var.stream_view_type : null

  dynamic "attribute" {
    for_each = local.key_attribute_types

    content {
      name = attribute.key
      type = attribute.value
    }
  }

  dynamic "global_secondary_index" {
    for_each = local.global_secondary_indexes

    content {
      name               = global_secondary_index.value.name
      hash_key           = global_secondary_index.value.hash_key
      range_key          = global_secondary_index.value.range_key
      projection_type    = global_secondary_index.value.projection_type
      non_key_attributes = global_secondary_index.value.projection_type == "INCLUDE" ? global_secondary_index.value.non_key_attributes : null
      read_capacity      = local.provisioned ? global_secondary_index.value.read_capacity : null
      write_capacity     = local.provisioned ? global_secondary_index.value.write_capacity : null
    }
  }

  dynamic "ttl" {
    for_each = var.ttl_attribute == null ? [] : [var.ttl_attribute]

    content {
      enabled        = true
      attribute_name = ttl.value
    }
  }

  # Always rendered (not dynamic): an absent block would leave a previously enabled
  # setting on, while `enabled = false` turns it off.
  point_in_time_recovery {
    enabled = var.point_in_time_recovery_enabled
  }

  server_side_encryption {
    enabled     = var.server_side_encryption_enabled
    kms_key_arn = var.server_side_encryption_enabled ? var.server_side_encryption_kms_key_arn : null
  }

  tags = var.tags

  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

locals {
  # Whichever copy exists; the splats are empty lists for the other one.
  table = concat(aws_dynamodb_table.this[*], aws_dynamodb_table.autoscaled[*])[0]
}
