# Target-tracking autoscaling of read and write capacity, for the table and each of its
# indexes. Only with billing_mode PROVISIONED and autoscaling_enabled; the map is empty
# otherwise, so nothing is created.

locals {
  autoscaling_dimensions = {
    read = {
      scalable_dimension = "ReadCapacityUnits"
      metric             = "DynamoDBReadCapacityUtilization"
      settings           = var.autoscaling_read
    }
    write = {
      scalable_dimension = "WriteCapacityUnits"
      metric             = "DynamoDBWriteCapacityUtilization"
      settings           = var.autoscaling_write
    }
  }

  autoscaling_scopes = concat(
    [{ key = "table", kind = "table", resource_id = "table/${var.name}" }],
    [
      for index in local.global_secondary_index_names :
      { key = "index/${index}", kind = "index", resource_id = "table/${var.name}/index/${index}" }
    ],
  )

  autoscaling_targets = {
    for target in flatten([
      for scope in local.autoscaling_scopes : [
        for direction, dimension in local.autoscaling_dimensions : {
          key                = "${scope.key}/${direction}"
          resource_id        = scope.resource_id
          scalable_dimension = "dynamodb:${scope.kind}:${dimension.scalable_dimension}"
          metric             = dimension.metric
          settings           = dimension.settings
        }
      ]
    ]) : target.key => target if local.autoscaled
  }
}

resource "aws_appautoscaling_target" "this" {
  for_each = local.autoscaling_targets

  service_namespace  = "dynamodb"
  resource_id        = each.value.resource_id
  scalable_dimension = each.value.scalable_dimension
  min_capacity       = each.value.settings.min_capacity
  max_capacity       = each.value.settings.max_capacity

  # The scalable target names the table by name only: wait for the table to exist.
  depends_on = [aws_dynamodb_table.autoscaled]
}

resource "aws_appautoscaling_policy" "this" {
  for_each = local.autoscaling_targets

  name               = "${each.value.metric}:${each.value.resource_id}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this[each.key].service_namespace
  resource_id        = aws_appautoscaling_target.this[each.key].resource_id
  scalable_dimension = aws_appautoscaling_target.this[each.key].scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = each.value.settings.target_utilization
    scale_in_cooldown  = var.autoscaling_scale_in_cooldown
    scale_out_cooldown = var.autoscaling_scale_out_cooldown

    predefined_metric_specification {
      predefined_metric_type = each.value.metric
    }
  }
}
