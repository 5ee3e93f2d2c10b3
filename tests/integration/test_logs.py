"""Logs a pipeline can parse: every line the server and the CLI write to stderr is one JSON object, with the
request id where one applies, an injected internal error with its whole stack; LOG_FORMAT=text for people."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.local.embedded import free_port
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.orders import ORDERS
from graphql_api.settings import Settings
from tests.backends import wait_for_port
from tests.issuer import admin_headers, bearer
from tests.support import fresh_settings, run_with_dynamo

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

ORDER = '{ order(orderId: "ord_00000000000000000000000000000000") { orderId } }'


def _env(settings: Settings, **changes: str) -> dict[str, str]:
    return {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "CURSOR_SECRET": "log-test-secret",
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
        "LOG_LEVEL": "INFO",
        **changes,
    }


@pytest.fixture(scope="module")
def without_orders(endpoint: str) -> Settings:
    """Every table but Orders: reading an order fails inside DynamoDB (ResourceNotFound), a real internal error."""
    settings = fresh_settings(endpoint)

    async def prepare(dynamo: Dynamo) -> None:
        await create_tables(dynamo)
        await dynamo.call("delete_table", TableName=ORDERS.table.physical_name(dynamo.table_prefix))

    run_with_dynamo(settings, prepare)
    return settings


@contextmanager
def _serve(settings: Settings, stderr: Path, *args: str, **env: str) -> Iterator[str]:
    port = free_port()
    with open(stderr, "wb") as errors:
        process = subprocess.Popen(
            [sys.executable, "-m", "graphql_api.cli", "serve", "--port", str(port), *args],
            env=_env(settings, **env),
            stdout=subprocess.DEVNULL,
            stderr=errors,
        )
        try:
            wait_for_port("127.0.0.1", port, process)
            yield f"http://127.0.0.1:{port}"
        finally:
            process.terminate()
            process.wait(timeout=20)


def _requests(url: str) -> dict[str, httpx.Response]:
    with httpx.Client(base_url=url, timeout=30) as client:
        return {
            "ok": client.post("/graphql", json={"query": "{ __typename }"}, headers=admin_headers()),
            "internal": client.post("/graphql", json={"query": ORDER}, headers=admin_headers()),
            "forged": client.post("/graphql", json={"query": "{ __typename }"}, headers=bearer("forged.token.x")),
            "healthz": client.get("/healthz"),
        }


def _lines(path: Path) -> list[str]:
    return [line for line in path.read_text().splitlines() if line.strip()]


def test_every_server_line_is_json_with_the_request_id_and_the_internal_errors_stack(
    without_orders: Settings, tmp_path: Path
) -> None:
    stderr = tmp_path / "stderr.txt"
    with _serve(without_orders, stderr, "--workers", "2") as url:
        responses = _requests(url)
    lines = _lines(stderr)
    parsed: list[dict[str, Any]] = []
    for line in lines:
        parsed.append(json.loads(line))  # fails on any line that is not JSON
    assert all({"time", "level", "logger", "message"} <= set(entry) for entry in parsed), parsed
    assert any(entry["logger"].startswith("uvicorn") for entry in parsed)  # uvicorn's own lines, from the workers

    requests = {entry["requestId"]: entry for entry in parsed if entry["message"] == "http_request"}
    for name, response in responses.items():
        entry = requests[response.headers["x-request-id"]]
        assert entry["status"] == response.status_code, name
    assert requests[responses["forged"].headers["x-request-id"]]["errorCodes"] == ["UNAUTHENTICATED"]
    assert requests[responses["internal"].headers["x-request-id"]]["errorCodes"] == ["INTERNAL_SERVER_ERROR"]

    internal_id = responses["internal"].json()["errors"][0]["extensions"]["requestId"]
    errors = [entry for entry in parsed if entry["level"] == "ERROR"]
    assert [entry["requestId"] for entry in errors] == [internal_id]
    stack = errors[0]["exception"]
    assert stack.startswith("Traceback")
    assert "ResourceNotFoundException" in stack
    assert "ResourceNotFound" not in responses["internal"].text  # the stack is in the log, never in the answer


def test_log_format_text_is_for_people(without_orders: Settings, tmp_path: Path) -> None:
    stderr = tmp_path / "stderr.txt"
    with _serve(without_orders, stderr, LOG_FORMAT="text") as url:
        response = _requests(url)["internal"]
    text = stderr.read_text()
    request_id = response.headers["x-request-id"]
    assert f"ERROR graphql_api.graphql.errors unexpected error in order (request id {request_id})" in text
    assert "INFO graphql_api.request http_request method=POST path=/graphql status=200" in text
    assert "\nTraceback (most recent call last):" in text
    assert not text.lstrip().startswith("{")


def _cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args],
        env=_env(settings),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_cli_refusals_and_failures_are_json_lines(without_orders: Settings, tmp_path: Path) -> None:
    occupied = tmp_path / "occupied"
    occupied.mkdir()
    (occupied / "keep.txt").write_text("mine")
    refused = _cli(without_orders, "export", str(occupied))
    assert refused.returncode == 2
    entries = [json.loads(line) for line in refused.stderr.splitlines()]  # every line is JSON
    [line] = [entry for entry in entries if entry["level"] == "ERROR"]
    assert line["level"] == "ERROR"
    assert line["logger"] == "graphql_api.cli"
    assert str(occupied) in line["message"]

    failed = _cli(without_orders, "validate")  # the Orders table is missing: an unexpected failure
    assert failed.returncode == 1
    entries = [json.loads(line) for line in failed.stderr.splitlines()]
    [error] = [entry for entry in entries if entry["level"] == "ERROR"]
    assert error["message"] == "validate failed"
    assert "ResourceNotFoundException" in error["exception"]
