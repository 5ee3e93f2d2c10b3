# The function's role: it may write its own logs and make exactly the DynamoDB calls the code makes, on
# exactly the tables, indexes and streams it makes them on (var.dynamodb_permissions, generated from the
# code's declarations by graphql_api.ops.iam_policy). No managed policy: AWSLambdaBasicExecutionRole
# would also let it create log groups anywhere.

resource "aws_iam_role" "this" {
  name        = var.name
  description = "The Lambda function ${var.name}: its logs and its DynamoDB access."
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

resource "aws_iam_role_policy" "logs" {
  name = "logs"
  role = aws_iam_role.this.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Sid    = "WriteOwnLogs"
      Effect = "Allow"
      Action = ["logs:CreateLogStream", "logs:PutLogEvents"]
      # Lambda names a log stream per execution environment: the streams of this log group only.
      Resource = "${aws_cloudwatch_log_group.this.arn}:log-stream:*"
    }]
  })
}

resource "aws_iam_role_policy" "dynamodb" {
  name   = "dynamodb"
  role   = aws_iam_role.this.id
  policy = jsonencode(local.dynamodb_policy)
}
