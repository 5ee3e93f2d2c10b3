#!/usr/bin/env bash
# Run the service. With no DYNAMODB_ENDPOINT_URL and no AWS credentials it starts the embedded
# DynamoDB (moto), creates the tables and loads demo data. Extra arguments go to `serve`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/graphiql-assets.sh >/dev/null || echo "GraphiQL's assets could not be fetched: the page will load them from the CDN" >&2
exec .venv/bin/graphql-api serve "$@"
