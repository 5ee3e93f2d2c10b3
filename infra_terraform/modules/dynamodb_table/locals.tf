# The table's shape, derived from the inputs without touching any resource, so that it can be
# evaluated on its own (tests/terraform does, with `terraform console`).

locals {
  provisioned = var.billing_mode == "PROVISIONED"
  autoscaled  = var.autoscaling_enabled && local.provisioned

  # `global_secondary_indexes` is loosely typed (Terraform 1.0 has no optional object
  # attributes); normalise it once so every later expression can rely on every attribute.
  global_secondary_indexes = [
    for index in var.global_secondary_indexes : {
      name               = index.name
      hash_key           = index.hash_key
      hash_key_type      = index.hash_key_type
      range_key          = try(index.range_key, null)
      range_key_type     = coalesce(try(index.range_key_type, null), "S")
      projection_type    = index.projection_type
      non_key_attributes = try(compact(tolist(index.non_key_attributes)), [])
      read_capacity      = coalesce(try(index.read_capacity, null), var.read_capacity)
      write_capacity     = coalesce(try(index.write_capacity, null), var.write_capacity)
    }
  ]

  global_secondary_index_names = [for index in local.global_secondary_indexes : index.name]

  # Every key of the table and of its indexes, in declaration order, possibly repeated
  # (OrderDate is the range key of two indexes).
  key_schema = concat(
    [{ name = var.hash_key, type = var.hash_key_type }],
    var.range_key == null ? [] : [{ name = var.range_key, type = var.range_key_type }],
    flatten([
      for index in local.global_secondary_indexes : concat(
        [{ name = index.hash_key, type = index.hash_key_type }],
        index.range_key == null ? [] : [{ name = index.range_key, type = index.range_key_type }],
      )
    ]),
  )

  # DynamoDB accepts attribute definitions for key attributes only, each once. one() fails
  # the plan when the same attribute is declared with two different types.
  key_attribute_types = {
    for name, types in { for key in local.key_schema : key.name => key.type... } :
    name => one(distinct(types))
  }
}
