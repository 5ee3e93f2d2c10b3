# The service on AWS Lambda behind an HTTP API (modules/lambda_service), when var.service.enabled. Its
# role may make exactly the DynamoDB calls the code makes: var.dynamodb_access.api, generated from the
# code into dynamodb_access.auto.tfvars.json (python -m graphql_api.ops.iam_policy), each grant turned
# here into the ARN of the table, index or stream it names; with single_table_enabled also the
# `migration` part (migration_permissions), every grant of which is on the single table (single_table.tf). Tokens come from var.service.auth_issuer, or
# from the user pool of cognito.tf when that is enabled.

locals {
  # What var.service leaves out. The numbers are the module's defaults.
  service_defaults = {
    enabled                        = false
    name                           = "${var.name_prefix}graphql-api"
    package_path                   = "${path.root}/../build/lambda/graphql-api-lambda.zip"
    memory_size                    = 1024
    timeout                        = 29
    reserved_concurrent_executions = -1
    log_retention_days             = 30
    auth_issuer                    = null
    auth_audience                  = null
    settings                       = {}
    cdn_enabled                    = false
  }
  service = merge(local.service_defaults, var.service)

  # Each grant's resource: the table's ARN, the table's ARN with /index/<name>, or the table's stream ARN.
  table_arns        = { for table, instance in module.table : table => instance.table_arn }
  table_stream_arns = { for table, instance in module.table : table => instance.table_stream_arn }
  # A grant on a table the tables' module does not make is on the single table (single_table.tf): the whole
  # `migration` part, and the stream readers' grants on its stream. It exists only with single_table_enabled:
  # without it those grants are left out.
  single_table_arn        = one(aws_dynamodb_table.single_table[*].arn)
  single_table_stream_arn = one(aws_dynamodb_table.single_table[*].stream_arn)
  dynamodb_permissions = {
    for part, grants in var.dynamodb_access : part => [
      for grant in grants : {
        action = grant.action
        resource = (
          !contains(keys(local.table_arns), grant.table) ? (
            grant.stream ? local.single_table_stream_arn :
            grant.index == null ? local.single_table_arn :
            "${local.single_table_arn}/index/${grant.index}"
          ) :
          grant.stream ? local.table_stream_arns[grant.table] :
          grant.index == null ? local.table_arns[grant.table] :
          "${local.table_arns[grant.table]}/index/${grant.index}"
        )
      } if contains(keys(local.table_arns), grant.table) || var.single_table_enabled
    ]
  }

  # The service's settings: the tables' prefix, the token issuer and audience (the service's own, else the
  # user pool's), then var.service.settings, which may add to or override them. Unset ones are left out.
  service_environment = {
    for name, value in merge(
      {
        TABLE_PREFIX     = var.name_prefix
        AUTH_ISSUER      = local.service.auth_issuer != null ? local.service.auth_issuer : local.user_pool_issuer
        AUTH_AUDIENCE    = local.service.auth_audience != null ? local.service.auth_audience : local.user_pool_client_id
        AUTH_STAFF_GROUP = local.user_pool.enabled ? local.user_pool.staff_group : null
        AUTH_ADMIN_GROUP = local.user_pool.enabled ? local.user_pool.admin_group : null
      },
      local.service.settings,
    ) : name => value if value != null
  }
}

module "service" {
  source = "./modules/lambda_service"
  count  = local.service.enabled ? 1 : 0

  name                           = local.service.name
  tags                           = var.tags
  package_path                   = local.service.package_path
  memory_size                    = local.service.memory_size
  timeout                        = local.service.timeout
  reserved_concurrent_executions = local.service.reserved_concurrent_executions
  log_retention_days             = local.service.log_retention_days
  environment                    = local.service_environment
  cursor_secret                  = var.service_cursor_secret
  dynamodb_permissions           = local.dynamodb_permissions.api
  migration_permissions          = local.dynamodb_permissions.migration
  cdn_enabled                    = local.service.cdn_enabled

  # The tables' on-call topic hears about the service too.
  alarm_actions = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
}
