terraform {
  required_version = ">= 1.0"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # The same constraint as modules/dynamodb_table: one provider build for the whole configuration.
      version = "~> 5.54"
    }
  }
}
