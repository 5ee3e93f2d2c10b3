#!/usr/bin/env bash
# Set up (or refresh) the project's virtualenv in .venv with the package, its dev tools, the export extra (pyarrow) and the local
# default's moto (the `local` extra).
# Idempotent and quick when nothing changed: it reinstalls only when pyproject.toml is newer.
# The packages are installed by uv (itself from the package index, into .venv): the same index and packages as pip, fetched
# in parallel and cached in ~/.cache/uv. Measured on a cold 2-core machine: 25 s, against 160 s for pip.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    if .venv/bin/python -m pip install --quiet uv 2>/dev/null; then
        # The distribution was called graphql-api before: an old .venv drops it so that one package owns the modules.
        .venv/bin/uv pip uninstall --quiet --python .venv/bin/python graphql-api 2>/dev/null || true
        .venv/bin/uv pip install --quiet --python .venv/bin/python -e '.[dev,local,export]'
    else
        .venv/bin/python -m pip install --quiet -e '.[dev,local,export]'
    fi
    touch "$stamp"
fi
