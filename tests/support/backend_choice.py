"""Which DynamoDB-compatible backends a run uses, and where a `one_backend` test runs.

`TEST_BACKENDS=dynamodb-local` (or `moto`) narrows a whole run to one backend (the quick loop's setting);
by default both run. tests/conftest.py's hooks use these to deselect the other copy of a `one_backend` test.
"""

from __future__ import annotations

import os

import pytest

BACKENDS = ("moto", "dynamodb-local")
SELECTED_BACKENDS = tuple(name for name in os.environ.get("TEST_BACKENDS", ",".join(BACKENDS)).split(",") if name)
if not SELECTED_BACKENDS or set(SELECTED_BACKENDS) - set(BACKENDS):
    raise pytest.UsageError(f"TEST_BACKENDS names backends among {', '.join(BACKENDS)}, got {SELECTED_BACKENDS}")
ONE_BACKEND = "dynamodb-local" if "dynamodb-local" in SELECTED_BACKENDS else SELECTED_BACKENDS[0]
"""Where a `one_backend` test runs."""


def backend_of(item: pytest.Item) -> str | None:
    """The backend a collected test runs on (None when it takes no `endpoint`)."""
    callspec = getattr(item, "callspec", None)
    backend: str | None = callspec.params.get("endpoint") if callspec is not None else None
    return backend
