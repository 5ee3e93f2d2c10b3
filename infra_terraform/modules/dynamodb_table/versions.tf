terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.54 is the first 5.x release whose aws_dynamodb_table read tolerates DynamoDB Local's
      # missing tagging API, so the same module applies against AWS and DynamoDB Local.
      version = "~> 5.54"
    }
  }
}
