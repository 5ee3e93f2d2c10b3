#!/usr/bin/env bash
# Install Debian's redis-server for the live-updates bus tests (tests/support/redis_server.py), like
# scripts/e2e-setup.sh installs Chromium. Idempotent and quiet: apt runs only when redis-server is missing.
set -euo pipefail

if ! command -v redis-server >/dev/null 2>&1; then
    as_root=()
    if [ "$(id -u)" -ne 0 ]; then as_root=(sudo); fi
    log="$(mktemp)"
    if ! { "${as_root[@]}" apt-get update -qq &&
        "${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        exit 1
    fi
    rm -f "$log"
fi
