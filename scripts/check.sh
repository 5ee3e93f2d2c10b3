#!/usr/bin/env bash
# The quick loop, for every change before the whole suite: lint, types, unit tests and a smoke of the
# integration tier (the access patterns, the request budget and the order mutations) on DynamoDB Local
# only. About a minute once .venv, mypy's cache and DynamoDB Local are in place (scripts/test.sh puts
# them there). Extra arguments go to pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
bash scripts/dynamodb-local.sh fetch >/dev/null
.venv/bin/ruff check .
.venv/bin/ruff format --check graphql_api tests bench
MYPY_CACHE_DIR="${MYPY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/graphql-api/mypy}" .venv/bin/mypy
.venv/bin/lint-imports && .venv/bin/deptry . && .venv/bin/deptry tests bench -e '\.venv' -kf graphql_api -kf tests -kf bench -i DEP002,DEP004  # tests, bench: the dev extra too
TEST_BACKENDS=dynamodb-local .venv/bin/python -m pytest -q \
    tests/unit \
    tests/integration/test_access_patterns.py \
    tests/integration/test_request_budget.py \
    tests/integration/test_order_mutations.py \
    "$@"
