"""Helpers the tests share: plain functions and classes, imported from here (tests/conftest.py holds only
fixtures and hooks, which use these too).

One concept per module; everything is re-exported here so a test names what it uses in one import line.
"""

from __future__ import annotations

from tests.support.api import Api, dynamodb_local_keys, fresh_settings, plain_client, run_with_dynamo
from tests.support.backend_choice import BACKENDS, ONE_BACKEND, SELECTED_BACKENDS, backend_of
from tests.support.cli import cli_command, cli_environment, run_cli
from tests.support.concurrency import outcomes, post_concurrently
from tests.support.logs import logged
from tests.support.tables import snapshot

__all__ = [
    "BACKENDS",
    "ONE_BACKEND",
    "SELECTED_BACKENDS",
    "Api",
    "backend_of",
    "cli_command",
    "cli_environment",
    "dynamodb_local_keys",
    "fresh_settings",
    "logged",
    "outcomes",
    "plain_client",
    "post_concurrently",
    "run_cli",
    "run_with_dynamo",
    "snapshot",
]
