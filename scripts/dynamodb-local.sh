#!/usr/bin/env bash
# Fetch (once, cached) and optionally start Amazon's DynamoDB Local.
#
#   scripts/dynamodb-local.sh fetch        -> prints the emulator directory
#   scripts/dynamodb-local.sh start PORT   -> runs it in the foreground, in memory
#
# DynamoDB Local ships inside the npm package amplify-dynamodb-simulator; we take it from
# there with `npm pack` (no global install) and keep it under the user's cache directory so
# later runs on the same machine reuse it.
set -euo pipefail

VERSION="${DYNAMODB_LOCAL_NPM_VERSION:-2.9.30}"
CACHE_ROOT="${XDG_CACHE_HOME:-$HOME/.cache}/graphql-api/dynamodb-local"
EMULATOR_DIR="$CACHE_ROOT/$VERSION/package/emulator"

fetch() {
    if [ -f "$EMULATOR_DIR/DynamoDBLocal.jar" ]; then
        echo "$EMULATOR_DIR"
        return
    fi
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "amplify-dynamodb-simulator@$VERSION" >/dev/null)
    mkdir -p "$CACHE_ROOT/$VERSION.tmp"
    tar -xzf "$work"/amplify-dynamodb-simulator-*.tgz -C "$CACHE_ROOT/$VERSION.tmp"
    rm -rf "$work" "$CACHE_ROOT/$VERSION"
    # Rename last, so an interrupted fetch never looks complete.
    mv "$CACHE_ROOT/$VERSION.tmp" "$CACHE_ROOT/$VERSION"
    echo "$EMULATOR_DIR"
}

case "${1:-fetch}" in
    fetch) fetch ;;
    start)
        dir="$(fetch)"
        exec java -Djava.library.path="$dir/DynamoDBLocal_lib" -jar "$dir/DynamoDBLocal.jar" \
            -inMemory -port "${2:-8001}"
        ;;
    *) echo "usage: $0 fetch | start [PORT]" >&2; exit 2 ;;
esac
