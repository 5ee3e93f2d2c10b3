#!/usr/bin/env bash
# Set up (or refresh) the project's virtualenv in .venv with the package, its dev tools, the export extra (pyarrow) and the local
# default's moto (the `local` extra).
# Idempotent and quick when nothing changed: it reinstalls only when pyproject.toml is newer.
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
stamp=.venv/.installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
    .venv/bin/python -m pip install --quiet --upgrade pip
    .venv/bin/python -m pip install --quiet -e '.[dev,local,export]'
    touch "$stamp"
fi
