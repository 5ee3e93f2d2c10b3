# The dashboard's body (dashboard.tf), computed from var.region, var.name_prefix, local.dashboard_tables and
# local.dashboard_services only, so that `terraform console` evaluates it (tests/terraform/test_dashboard.py).
# On CloudWatch's 24-column grid, top to bottom: a header; the service, when there is one (requests, p99
# latency, Lambda health, then three Logs Insights tables over its JSON request log); DynamoDB's UserErrors,
# once for the account and region; then one row per table: throttles, latency, consumed capacity, errors.

locals {
  # Dashboard names take letters, digits, '-' and '_'; name_prefix may also hold '.'.
  dashboard_name = replace("${var.name_prefix}graphql-api", ".", "-")
  dashboard_url  = "https://${var.region}.console.aws.amazon.com/cloudwatch/home?region=${var.region}#dashboards:name=${local.dashboard_name}"

  # The operations graphed per table: the service's reads (BatchGetItem, Query; GetItem before a write), its
  # writes (one action as PutItem, UpdateItem or DeleteItem, more as TransactWriteItems), and Scan, which only
  # the operator's commands make (validate, export, backfill). A line without data is not drawn.
  dashboard_operations = ["GetItem", "BatchGetItem", "Query", "Scan", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems"]

  # The service's log: one JSON object per line; each HTTP request is a line with message "http_request".
  dashboard_log_queries = {
    error_codes = [
      "fields @timestamp, errorCodes.0",
      "filter message = \"http_request\" and ispresent(errorCodes.0)",
      "stats count(*) as errors by errorCodes.0",
      "sort errors desc",
    ]
    operations = [
      "fields @timestamp, operations.0",
      "filter message = \"http_request\" and path = \"/graphql\"",
      "stats count(*) as requests, pct(durationMs, 99) as p99Ms, avg(dynamodbRequests) as dynamodbRequestsAvg, max(dynamodbRequests) as dynamodbRequestsMax, sum(consumedCapacity) as capacityUnits by operations.0",
      "sort requests desc",
      "limit 25",
    ]
    unexpected_errors = [
      "fields @timestamp, requestId, logger, exception",
      "filter level = \"ERROR\"",
      "sort @timestamp desc",
      "limit 20",
    ]
  }

  dashboard_header_height  = 2
  dashboard_service_height = length(local.dashboard_services) * 18
  dashboard_account_height = 6
  dashboard_tables_top     = local.dashboard_header_height + local.dashboard_service_height + local.dashboard_account_height

  dashboard_header = [{
    type   = "text"
    x      = 0
    y      = 0
    width  = 24
    height = local.dashboard_header_height
    properties = {
      markdown = join("\n", [
        "# GraphQL API, tables ${var.name_prefix}*",
        "Service: requests, p99, Lambda, GraphQL error codes (its JSON log). Per table: throttles, latency, consumed capacity, errors. What to do when a graph moves: docs/runbook.md.",
      ])
    }
  }]

  dashboard_service_widgets = flatten([
    for service in local.dashboard_services : [
      {
        type   = "metric"
        x      = 0
        y      = local.dashboard_header_height
        width  = 8
        height = 6
        properties = {
          title  = "Requests (HTTP API) and invocations (Lambda)"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = [
            ["AWS/ApiGateway", "Count", "ApiId", service.api_id, { stat = "Sum", label = "requests" }],
            ["AWS/ApiGateway", "4xx", "ApiId", service.api_id, { stat = "Sum", label = "4xx" }],
            ["AWS/ApiGateway", "5xx", "ApiId", service.api_id, { stat = "Sum", label = "5xx" }],
            ["AWS/Lambda", "Invocations", "FunctionName", service.function_name, { stat = "Sum", label = "invocations" }],
          ]
        }
      },
      {
        type   = "metric"
        x      = 8
        y      = local.dashboard_header_height
        width  = 8
        height = 6
        properties = {
          title  = "Latency p99 (ms)"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "p99"
          metrics = [
            ["AWS/ApiGateway", "Latency", "ApiId", service.api_id, { stat = "p99", label = "HTTP API p99" }],
            ["AWS/Lambda", "Duration", "FunctionName", service.function_name, { stat = "p99", label = "Lambda p99" }],
            ["AWS/Lambda", "Duration", "FunctionName", service.function_name, { stat = "p50", label = "Lambda p50" }],
          ]
        }
      },
      {
        type   = "metric"
        x      = 16
        y      = local.dashboard_header_height
        width  = 8
        height = 6
        properties = {
          title  = "Lambda errors, throttles, concurrency"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = [
            ["AWS/Lambda", "Errors", "FunctionName", service.function_name, { stat = "Sum", label = "errors" }],
            ["AWS/Lambda", "Throttles", "FunctionName", service.function_name, { stat = "Sum", label = "throttles" }],
            ["AWS/Lambda", "ConcurrentExecutions", "FunctionName", service.function_name, { stat = "Maximum", label = "concurrent (max)" }],
          ]
        }
      },
      {
        type   = "log"
        x      = 0
        y      = local.dashboard_header_height + 6
        width  = 12
        height = 6
        properties = {
          title  = "GraphQL error codes (first code of each request)"
          region = var.region
          view   = "table"
          query  = join("\n| ", concat(["SOURCE '${service.log_group_name}'"], local.dashboard_log_queries.error_codes))
        }
      },
      {
        type   = "log"
        x      = 12
        y      = local.dashboard_header_height + 6
        width  = 12
        height = 6
        properties = {
          title  = "GraphQL operations: requests, p99 (ms), DynamoDB requests and capacity"
          region = var.region
          view   = "table"
          query  = join("\n| ", concat(["SOURCE '${service.log_group_name}'"], local.dashboard_log_queries.operations))
        }
      },
      {
        type   = "log"
        x      = 0
        y      = local.dashboard_header_height + 12
        width  = 24
        height = 6
        properties = {
          title  = "Unexpected errors (INTERNAL_SERVER_ERROR): the request id a client quotes, and the stack"
          region = var.region
          view   = "table"
          query  = join("\n| ", concat(["SOURCE '${service.log_group_name}'"], local.dashboard_log_queries.unexpected_errors))
        }
      },
    ]
  ])

  # UserErrors has no dimension: one metric for the account and region, whatever the table.
  dashboard_account_widgets = [{
    type   = "metric"
    x      = 0
    y      = local.dashboard_header_height + local.dashboard_service_height
    width  = 24
    height = local.dashboard_account_height
    properties = {
      title   = "DynamoDB UserErrors (HTTP 400), whole account and region"
      region  = var.region
      view    = "timeSeries"
      period  = 60
      stat    = "Sum"
      metrics = [["AWS/DynamoDB", "UserErrors", { stat = "Sum", label = "UserErrors" }]]
    }
  }]

  # One row per table, in the order of the table names.
  dashboard_table_widgets = flatten([
    for row, table in keys(local.dashboard_tables) : [
      {
        type   = "metric"
        x      = 0
        y      = local.dashboard_tables_top + row * 6
        width  = 6
        height = 6
        properties = {
          title  = "${table}: throttles"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = concat(
            [
              for metric in ["ReadThrottleEvents", "WriteThrottleEvents"] :
              ["AWS/DynamoDB", metric, "TableName", local.dashboard_tables[table].name, { stat = "Sum", label = metric }]
            ],
            [
              for pair in setproduct(local.dashboard_tables[table].indexes, ["ReadThrottleEvents", "WriteThrottleEvents"]) :
              ["AWS/DynamoDB", pair[1], "TableName", local.dashboard_tables[table].name, "GlobalSecondaryIndexName", pair[0], { stat = "Sum", label = "${pair[0]} ${pair[1]}" }]
            ],
            [
              for operation in local.dashboard_operations :
              ["AWS/DynamoDB", "ThrottledRequests", "TableName", local.dashboard_tables[table].name, "Operation", operation, { stat = "Sum", label = "ThrottledRequests ${operation}" }]
            ],
          )
        }
      },
      {
        type   = "metric"
        x      = 6
        y      = local.dashboard_tables_top + row * 6
        width  = 6
        height = 6
        properties = {
          title  = "${table}: latency (ms), p99 and average"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "p99"
          metrics = [
            for pair in setproduct(["p99", "Average"], local.dashboard_operations) :
            ["AWS/DynamoDB", "SuccessfulRequestLatency", "TableName", local.dashboard_tables[table].name, "Operation", pair[1], { stat = pair[0], label = "${pair[1]} ${pair[0]}" }]
          ]
        }
      },
      {
        type   = "metric"
        x      = 12
        y      = local.dashboard_tables_top + row * 6
        width  = 6
        height = 6
        properties = {
          title  = "${table}: consumed capacity (units per minute)"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = concat(
            [
              for metric in ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"] :
              ["AWS/DynamoDB", metric, "TableName", local.dashboard_tables[table].name, { stat = "Sum", label = metric }]
            ],
            [
              for pair in setproduct(local.dashboard_tables[table].indexes, ["ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"]) :
              ["AWS/DynamoDB", pair[1], "TableName", local.dashboard_tables[table].name, "GlobalSecondaryIndexName", pair[0], { stat = "Sum", label = "${pair[0]} ${pair[1]}" }]
            ],
          )
        }
      },
      {
        type   = "metric"
        x      = 18
        y      = local.dashboard_tables_top + row * 6
        width  = 6
        height = 6
        properties = {
          title  = "${table}: errors"
          region = var.region
          view   = "timeSeries"
          period = 60
          stat   = "Sum"
          metrics = concat(
            [
              for operation in local.dashboard_operations :
              ["AWS/DynamoDB", "SystemErrors", "TableName", local.dashboard_tables[table].name, "Operation", operation, { stat = "Sum", label = "SystemErrors ${operation}" }]
            ],
            # Answers, not faults: failed conditions (CONFLICT, VERSION_MISMATCH, OUT_OF_STOCK...) and
            # transactions cancelled by another one (retried, then CONFLICT).
            [
              for metric in ["ConditionalCheckFailedRequests", "TransactionConflict"] :
              ["AWS/DynamoDB", metric, "TableName", local.dashboard_tables[table].name, { stat = "Sum", label = metric }]
            ],
          )
        }
      },
    ]
  ])

  dashboard_body = {
    widgets = concat(
      local.dashboard_header,
      local.dashboard_service_widgets,
      local.dashboard_account_widgets,
      local.dashboard_table_widgets,
    )
  }
}
