#!/usr/bin/env bash
# Set up what the end-to-end tests (tests/e2e) need: Debian's Chromium for the GraphiQL browser test,
# the Node packages of e2e/ (Playwright's client library, graphql-request, GraphQL Code Generator),
# and GraphiQL's own assets (scripts/graphiql-assets.sh), so that the page works offline.
# Idempotent and quiet: Chromium is installed only when /usr/bin/chromium is missing, npm runs only
# when e2e/package.json is newer than the last install. Playwright's own browser download is not used.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ ! -x /usr/bin/chromium ]; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
    log="$(mktemp)"
    if ! { "${as_root[@]}" apt-get update -qq &&
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
fi

stamp=e2e/node_modules/.installed
if [ ! -f "$stamp" ] || [ e2e/package.json -nt "$stamp" ]; then
    # No lock file is committed, so `npm ci` is not possible; package.json pins exact versions.
    (cd e2e && npm install --no-audit --no-fund --loglevel=error >/dev/null)
    touch "$stamp"
fi

bash scripts/graphiql-assets.sh >/dev/null
