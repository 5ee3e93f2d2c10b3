#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: lint, types, then every test tier against moto's
# server and DynamoDB Local (both started by the tests; DynamoDB Local is fetched once and cached).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/dynamodb-local.sh fetch >/dev/null
bash scripts/e2e-setup.sh  # Chromium, e2e/node_modules and GraphiQL's assets (scripts/graphiql-assets.sh)
.venv/bin/ruff check .
.venv/bin/ruff format --check graphql_api tests bench
.venv/bin/mypy
.venv/bin/python -m pytest "$@"
