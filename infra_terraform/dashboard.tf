# A CloudWatch dashboard of the tables and the service, when var.dashboard_enabled. One row per instance of
# module.table, so a table declared in the code is on it as soon as tables.auto.tfvars.json is regenerated;
# the service's rows when var.service.enabled. The body is built in dashboard_widgets.tf from the two locals
# below only (no resource read there), so that `terraform console` evaluates it without a provider
# (tests/terraform/test_dashboard.py). What to do when a graph moves: docs/runbook.md.

locals {
  # What the widgets need of each table: its physical name and its indexes, from the module's outputs.
  dashboard_tables = {
    for table, instance in module.table : table => {
      name    = instance.table_name
      indexes = instance.global_secondary_index_names
    }
  }

  # The service, once or not at all (a list, so that no widget is built from a null).
  dashboard_services = [
    for instance in module.service : {
      function_name  = instance.function_name
      api_id         = instance.api_id
      log_group_name = instance.log_group_name
    }
  ]
}

resource "aws_cloudwatch_dashboard" "this" {
  count = var.dashboard_enabled ? 1 : 0

  dashboard_name = local.dashboard_name
  dashboard_body = jsonencode(local.dashboard_body)
}
