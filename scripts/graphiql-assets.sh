#!/usr/bin/env bash
# Fetch (once, cached) the files that GraphiQL's page loads, so that the service serves them itself
# under /graphiql/assets/ instead of the page loading them from a public CDN. Prints the directory.
#
# The packages and versions are the ones Strawberry's GraphiQL page names (react, react-dom, graphiql,
# @graphiql/plugin-explorer, js-cookie); graphql_api/http/graphiql.py reads them from the page, so this
# script follows a Strawberry upgrade by itself. Each package comes with `npm pack` (no install), and
# only the files the page names are kept, checked against the page's integrity hashes, under
# ${XDG_CACHE_HOME:-$HOME/.cache}/graphql-api/graphiql/<graphiql version>.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-.venv/bin/python}"
graphiql() { "$PYTHON" -m graphql_api.http.graphiql "$@"; }

dir="$(graphiql dir)"
if graphiql verify "$dir" 2>/dev/null; then
    echo "$dir"
    exit 0
fi

work="$(mktemp -d)"
staging="$dir.tmp.$$"
trap 'rm -rf "$work" "$staging"' EXIT
mkdir -p "$staging"
graphiql assets | while read -r package path; do
    unpacked="$work/$package"
    if [ ! -d "$unpacked" ]; then
        tarball="$(cd "$work" && npm pack --silent "$package" | tail -n 1)"
        mkdir -p "$unpacked"
        tar -xzf "$work/$tarball" -C "$unpacked"
    fi
    mkdir -p "$(dirname "$staging/$package/$path")"
    cp "$unpacked/package/$path" "$staging/$package/$path"
done
graphiql verify "$staging"
rm -rf "$dir"
# Rename last, so an interrupted fetch never looks complete.
mv "$staging" "$dir"
echo "$dir"
