# Live updates at any number of instances (docs/running-at-scale.md, issue 25); off by default. When
# var.live_bus.enabled: an Amazon ElastiCache Serverless cache for Valkey (the bus, LIVE_BUS=rediss://...),
# unless var.live_bus.cache_enabled is false (a bus of your own), and the stream consumer: a Lambda
# function (graphql_api.aws_lambda_stream.handler, the same zip as the service) on the stream of every
# table that has one, through an event source mapping that batches, retries, bisects a failing batch and
# sends what still fails to a dead-letter queue. Its role may read exactly those streams, write its own
# logs, send to its queue and manage its network interfaces in the VPC. `graphql-api relay` does the same
# work on a host instead: run one or the other, not both. The lease table the relay uses (LiveLeases)
# comes with the declared tables (its role needs the `subscriptions` part of var.dynamodb_access). With
# var.alarms_enabled, the consumer's alarms (modules/stream_consumer_alarms: IteratorAge, Errors, the
# dead-letter queue's depth), each with its section in docs/runbook.md. With var.single_table_enabled too, the
# consumer also follows the single table's stream (LIVE_SINGLE_TABLE: its records published as their old tables'
# from the reads phase on, every record through the bus's shared filter; docs/live-updates.md), reading the
# migration's phase from the Migration table.

variable "live_bus" {
  description = <<-EOT
    The live-updates bus and its stream consumer (live_bus.tf); off by default. An object of the attributes
    that differ from their defaults:
      enabled                  false
      name                     "<name_prefix>graphql-api-live"
      cache_enabled            true: an ElastiCache Serverless cache for Valkey; false: bring your own bus_url
      bus_url                  null: the cache's rediss:// endpoint; else LIVE_BUS as the consumer sees it
      subnet_ids               [] (required): the VPC subnets of the cache and the consumer
      security_group_ids       []: more security groups for the consumer (the cache's own is made here)
      package_path             the service's zip (graphql-api package lambda)
      batch_size               100 records per invocation
      maximum_retry_attempts   10, then the batch goes to the dead-letter queue
      maximum_record_age       3600 seconds: older records go to the dead-letter queue
      log_retention_days       30
    Typed `any` because Terraform before 1.3 has no optional object attributes.
  EOT
  type        = any
  default = {
    enabled = false
  }

  validation {
    condition = can(keys(var.live_bus)) && try(length(setsubtract(keys(var.live_bus), [
      "enabled", "name", "cache_enabled", "bus_url", "subnet_ids", "security_group_ids", "package_path",
      "batch_size", "maximum_retry_attempts", "maximum_record_age", "log_retention_days",
    ])) == 0, false)
    error_message = "The live_bus takes enabled, name, cache_enabled, bus_url, subnet_ids, security_group_ids, package_path, batch_size, maximum_retry_attempts, maximum_record_age and log_retention_days only."
  }
}

locals {
  live_bus_defaults = {
    enabled                = false
    name                   = "${var.name_prefix}graphql-api-live"
    cache_enabled          = true
    bus_url                = null
    subnet_ids             = []
    security_group_ids     = []
    package_path           = "${path.root}/../build/lambda/graphql-api-lambda.zip"
    batch_size             = 100
    maximum_retry_attempts = 10
    maximum_record_age     = 3600
    log_retention_days     = 30
  }
  live_bus    = merge(local.live_bus_defaults, var.live_bus)
  live_cache  = local.live_bus.enabled && local.live_bus.cache_enabled
  live_tables = { for table, entry in var.tables : table => entry if local.live_bus.enabled && entry.stream_view_type != null }
  # The consumer on the single table's stream: only where both the live bus and the migration's table are on.
  live_single_table = local.live_bus.enabled && var.single_table_enabled
  live_streams = merge(
    { for table, entry in local.live_tables : table => module.table[table].table_stream_arn },
    local.live_single_table ? { (var.single_table_name) = aws_dynamodb_table.single_table[0].stream_arn } : {},
  )
  live_bus_url = (
    local.live_bus.bus_url != null ? local.live_bus.bus_url :
    # try(): with no cache there is no endpoint to name
    try("rediss://${aws_elasticache_serverless_cache.live[0].endpoint[0].address}:${aws_elasticache_serverless_cache.live[0].endpoint[0].port}", null)
  )
}

data "aws_subnet" "live" {
  count = local.live_bus.enabled ? 1 : 0
  id    = local.live_bus.subnet_ids[0]
}

# The consumer's network identity; the cache admits it (and nothing else) on the Valkey port.
resource "aws_security_group" "live_consumer" {
  count       = local.live_bus.enabled ? 1 : 0
  name        = "${local.live_bus.name}-consumer"
  description = "The live-updates stream consumer"
  vpc_id      = data.aws_subnet.live[0].vpc_id
  egress {
    description = "The bus, and DynamoDB Streams through the VPC's route"
    from_port   = 0
    to_port     = 0
    protocol    = "-1"
    cidr_blocks = ["0.0.0.0/0"]
  }
  tags = var.tags
}

resource "aws_security_group" "live_cache" {
  count       = local.live_cache ? 1 : 0
  name        = "${local.live_bus.name}-cache"
  description = "The live-updates bus: Valkey from the consumer and the service's instances"
  vpc_id      = data.aws_subnet.live[0].vpc_id
  ingress {
    description     = "Valkey (TLS) from the consumer; add the instances' security groups here"
    from_port       = 6379
    to_port         = 6379
    protocol        = "tcp"
    security_groups = [aws_security_group.live_consumer[0].id]
  }
  tags = var.tags
}

resource "aws_elasticache_serverless_cache" "live" {
  count                = local.live_cache ? 1 : 0
  name                 = local.live_bus.name
  engine               = "valkey"
  description          = "Live updates: pub/sub between the stream consumer and the service's instances"
  subnet_ids           = local.live_bus.subnet_ids
  security_group_ids   = [aws_security_group.live_cache[0].id]
  major_engine_version = "8"
  tags                 = var.tags
}

resource "aws_sqs_queue" "live_dead_letters" {
  count                     = local.live_bus.enabled ? 1 : 0
  name                      = "${local.live_bus.name}-dead-letters"
  message_retention_seconds = 1209600 # 14 days: the stream's records themselves are gone after 24 hours
  sqs_managed_sse_enabled   = true
  tags                      = var.tags
}

resource "aws_cloudwatch_log_group" "live_consumer" {
  count             = local.live_bus.enabled ? 1 : 0
  name              = "/aws/lambda/${local.live_bus.name}"
  retention_in_days = local.live_bus.log_retention_days
  tags              = var.tags
}

resource "aws_iam_role" "live_consumer" {
  count       = local.live_bus.enabled ? 1 : 0
  name        = local.live_bus.name
  description = "The live-updates stream consumer ${local.live_bus.name}: the streams, its logs, its queue."
  assume_role_policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect    = "Allow"
      Action    = "sts:AssumeRole"
      Principal = { Service = "lambda.amazonaws.com" }
    }]
  })
  tags = var.tags
}

resource "aws_iam_role_policy" "live_consumer" {
  count = local.live_bus.enabled ? 1 : 0
  name  = "live-consumer"
  role  = aws_iam_role.live_consumer[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = concat([
      {
        Sid      = "ReadTheStreams"
        Effect   = "Allow"
        Action   = ["dynamodb:DescribeStream", "dynamodb:GetRecords", "dynamodb:GetShardIterator"]
        Resource = values(local.live_streams)
      },
      {
        Sid      = "ListTheStreams" # the event source mapping lists them; ListStreams has no resource
        Effect   = "Allow"
        Action   = ["dynamodb:ListStreams"]
        Resource = "*"
      },
      {
        Sid      = "WriteOwnLogs"
        Effect   = "Allow"
        Action   = ["logs:CreateLogStream", "logs:PutLogEvents"]
        Resource = "${aws_cloudwatch_log_group.live_consumer[0].arn}:log-stream:*"
      },
      {
        Sid      = "SendFailedBatches"
        Effect   = "Allow"
        Action   = ["sqs:SendMessage"]
        Resource = aws_sqs_queue.live_dead_letters[0].arn
      },
      {
        Sid    = "NetworkInterfacesInTheVpc" # what Lambda needs to attach the function to the subnets
        Effect = "Allow"
        Action = [
          "ec2:CreateNetworkInterface", "ec2:DescribeNetworkInterfaces", "ec2:DeleteNetworkInterface",
          "ec2:AssignPrivateIpAddresses", "ec2:UnassignPrivateIpAddresses",
        ]
        Resource = "*"
      },
      ], local.live_single_table ? [{
        Sid      = "ReadTheMigrationPhase" # LIVE_SINGLE_TABLE: whether the single table's records are published
        Effect   = "Allow"
        Action   = ["dynamodb:GetItem"]
        Resource = module.table["Migration"].table_arn
    }] : [])
  })
}

resource "aws_lambda_function" "live_consumer" {
  count            = local.live_bus.enabled ? 1 : 0
  function_name    = local.live_bus.name
  description      = "Live updates: the tables' streams published on the bus (graphql_api.aws_lambda_stream)"
  role             = aws_iam_role.live_consumer[0].arn
  filename         = local.live_bus.package_path
  source_code_hash = filebase64sha256(local.live_bus.package_path)
  handler          = "graphql_api.aws_lambda_stream.handler"
  runtime          = "python3.11"
  architectures    = ["arm64"]
  memory_size      = 256
  timeout          = 60

  vpc_config {
    subnet_ids         = local.live_bus.subnet_ids
    security_group_ids = concat([aws_security_group.live_consumer[0].id], local.live_bus.security_group_ids)
  }

  environment {
    variables = {
      LIVE_BUS          = local.live_bus_url
      TABLE_PREFIX      = var.name_prefix
      LIVE_SINGLE_TABLE = local.live_single_table ? "true" : "false"
      SINGLE_TABLE_NAME = var.single_table_name
    }
  }

  tags       = var.tags
  depends_on = [aws_cloudwatch_log_group.live_consumer, aws_iam_role_policy.live_consumer]
}

# Every followed stream: the tables' and, with single_table_enabled, the single table's (keyed by its name; its
# records are published where the phase calls for them). LATEST: the single table's mapping is made with the table,
# before any phase writes it alone.
resource "aws_lambda_event_source_mapping" "live" {
  for_each          = local.live_streams
  function_name     = aws_lambda_function.live_consumer[0].arn
  event_source_arn  = each.value
  starting_position = "LATEST"
  batch_size        = local.live_bus.batch_size

  maximum_batching_window_in_seconds = 0 # an event is published as soon as it is read
  parallelization_factor             = 1 # one batch at a time per shard: per-item order
  bisect_batch_on_function_error     = true
  maximum_retry_attempts             = local.live_bus.maximum_retry_attempts
  maximum_record_age_in_seconds      = local.live_bus.maximum_record_age

  destination_config {
    on_failure {
      destination_arn = aws_sqs_queue.live_dead_letters[0].arn
    }
  }
}

output "live_bus_url" {
  description = "LIVE_BUS for the service's instances (the cache's rediss:// endpoint), or null when off."
  value       = local.live_bus_url
}

# The consumer's alarms (behind, failing, batches given up), with the tables' and the service's.
module "live_consumer_alarms" {
  source = "./modules/stream_consumer_alarms"
  count  = local.live_bus.enabled && var.alarms_enabled ? 1 : 0

  name                   = aws_lambda_function.live_consumer[0].function_name
  dead_letter_queue_name = aws_sqs_queue.live_dead_letters[0].name
  alarm_actions          = var.alarm_sns_topic_arn == null ? [] : [var.alarm_sns_topic_arn]
  tags                   = var.tags
}
