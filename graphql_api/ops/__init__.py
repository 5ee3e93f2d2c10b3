"""The operator's tools behind `graphql-api`: tables create|verify, backfills, pattern checks, seed, Terraform data."""
