terraform {
  # 1.1 for the moved blocks (moved.tf); the module itself works with 1.0.
  required_version = ">= 1.1"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.54 is the first 5.x release whose aws_dynamodb_table read tolerates DynamoDB Local's
      # missing tagging API (see modules/dynamodb_table/versions.tf).
      version = "~> 5.54"
    }
  }
}
