#!/usr/bin/env bash
# The whole test suite, exactly as CI runs it: lint, types, the documentation site, then every test tier against
# moto's server and DynamoDB Local (both started by the tests; DynamoDB Local is fetched once and cached), on
# TEST_WORKERS pytest-xdist workers (default 3: the suite waits on servers more than it computes, so a third
# worker on 2 cores still pays; docs/decisions/ has the figures). Extra arguments go to pytest;
# TEST_THOROUGH=1 runs the property-based tiers at their full counts (tests/depth.py).
set -euo pipefail
cd "$(dirname "$0")/.."
started=$SECONDS
bash scripts/bootstrap.sh
cache="${XDG_CACHE_HOME:-$HOME/.cache}/graphql-api"
# mypy's cache is keyed by the sources' contents: a fresh clone on a machine that checked the code before reuses it.
export MYPY_CACHE_DIR="${MYPY_CACHE_DIR:-$cache/mypy}"

# What waits on the network or the disk (DynamoDB Local, Chromium, e2e's npm packages, GraphiQL's assets) runs
# beside the static checks, which wait on the CPU.
setup_log="$(mktemp)"
(bash scripts/dynamodb-local.sh fetch >/dev/null && bash scripts/e2e-setup.sh) >"$setup_log" 2>&1 &
setup=$!
.venv/bin/ruff check .
.venv/bin/ruff format --check graphql_api tests bench
.venv/bin/mypy
.venv/bin/lint-imports && .venv/bin/deptry . && .venv/bin/deptry tests bench -e '\.venv' -kf graphql_api -kf tests -kf bench -i DEP002,DEP004  # tests, bench: the dev extra too
bash scripts/docs.sh
if ! wait "$setup"; then
    cat "$setup_log" >&2
    exit 1
fi
rm -f "$setup_log"
echo "set-up and static checks: $((SECONDS - started)) s"
# The slowest tests are listed at the end (--durations): where a newcomer looks when the run grows.
.venv/bin/python -m pytest -n "${TEST_WORKERS:-3}" --dist loadscope --durations=20 "$@"
