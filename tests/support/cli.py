"""`graphql-api` run as an operator runs it: a child process against the test's tables."""

from __future__ import annotations

import os
import subprocess
import sys

from graphql_api.settings import Settings


def cli_environment(settings: Settings) -> dict[str, str]:
    """This process's environment with the test's endpoint and tables, and the suite's patience."""
    return {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": str(settings.dynamodb_endpoint_url),
        "TABLE_PREFIX": settings.table_prefix,
        "LOG_FORMAT": "text",
        # The suite's patience with an emulator under load (60 s), not production's 3 s.
        "DYNAMODB_READ_TIMEOUT": str(settings.dynamodb_read_timeout),
    }


def cli_command(*args: str) -> list[str]:
    return [sys.executable, "-m", "graphql_api.cli", *args]


def run_cli(settings: Settings, *args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """`graphql-api ARGS...` to its end (`timeout` seconds at most); its exit code is the test's to check."""
    return subprocess.run(
        cli_command(*args), env=cli_environment(settings), capture_output=True, text=True, timeout=timeout, check=False
    )
