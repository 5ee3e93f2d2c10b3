"""The `graphql-api` command against a real endpoint, as an operator runs it."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import fresh_settings


def _cli(endpoint: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DYNAMODB_ENDPOINT_URL": endpoint, "TABLE_PREFIX": prefix}
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_tables_create_seed_explore_and_check_patterns(endpoint: str) -> None:
    prefix = fresh_settings(endpoint).table_prefix
    created = _cli(endpoint, prefix, "tables", "create")
    assert created.returncode == 0, created.stderr
    assert f"{prefix}Orders" in created.stdout
    again = _cli(endpoint, prefix, "tables", "create")
    assert again.returncode == 0 and "already exist" in again.stdout

    seeded = _cli(endpoint, prefix, "seed")
    assert seeded.returncode == 0, seeded.stderr
    assert "Orders: 500" in seeded.stdout

    explored = _cli(endpoint, prefix, "explore", "Products", "--limit", "3")
    assert explored.returncode == 0 and len(explored.stdout.splitlines()) == 3
    assert '"ProductId": "prd_' in explored.stdout

    checked = _cli(endpoint, prefix, "check-patterns")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [f"AP{n}" for n in range(1, 9)]
    assert all(line.startswith("ok") for line in lines)
    requests = {line.split()[1]: line.split("dynamodb_requests=")[1].split()[0] for line in lines}
    assert requests == {"AP1": "1", "AP2": "1", "AP3": "2", "AP4": "1", "AP5": "2", "AP6": "1", "AP7": "1", "AP8": "1"}


def test_explore_refuses_an_unknown_table(endpoint: str) -> None:
    result = _cli(endpoint, "x-", "explore", "Nope")
    assert result.returncode == 2 and "unknown table" in result.stderr


def test_schema_command_prints_the_sdl() -> None:
    result = subprocess.run([sys.executable, "-m", "graphql_api.cli", "schema"], capture_output=True, text=True)
    assert "type Query" in result.stdout
