#!/usr/bin/env bash
# Build the documentation site strictly into build/site: a broken link, a missing anchor or a page left
# out of the nav fails it. Regenerates nothing (`graphql-api docs` does; a unit test fails while a
# generated page is stale). Quiet on success: mkdocs' output is shown only when the build fails.
set -euo pipefail
cd "$(dirname "$0")/.."
# Not --quiet: it hides the warnings from --strict's count, and a broken link would pass.
if ! output=$(NO_MKDOCS_2_WARNING=1 .venv/bin/mkdocs build --strict --site-dir build/site 2>&1); then
    echo "$output" >&2
    exit 1
fi
