"""The service module's log-based alarms (RateLimited, RateLimitStoreUnavailable) count lines the service writes.

Their CloudWatch Logs metric filter patterns (modules/lambda_service/locals.tf, evaluated by `terraform console`)
are matched against the JSON lines the service's own code and formatter write: the request line of a 429, and
the rate limiter's warning that its store did not answer. A renamed log message or field fails here.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import shutil
from pathlib import Path
from typing import Any

import pytest
from starlette.types import Message, Receive, Scope, Send

from graphql_api.http.rate_limit import RateLimiter
from graphql_api.http.rate_limit_store import MemoryRateLimitStore, StoreUnavailable
from graphql_api.logs import JsonLogFormatter
from graphql_api.request_scope import RequestScopeMiddleware
from graphql_api.settings import Settings
from tests.terraform.hcl import terraform_console as evaluate

MODULE = Path("modules") / "lambda_service"
TERM = re.compile(r'\$\.([A-Za-z_]+)\s*=\s*("[^"]*"|[0-9]+)')


def captured(logger_name: str, write: Any) -> list[dict[str, Any]]:
    """The JSON lines `write()` logs on `logger_name`, through the service's formatter."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    logger = logging.getLogger(logger_name)
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        write()
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def refused_request_lines() -> list[dict[str, Any]]:
    async def refuse(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 429, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    async def no_body() -> Message:
        return {"type": "http.request", "body": b""}

    async def sent(message: Message) -> None:
        return None

    http = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
    return captured("graphql_api.request", lambda: asyncio.run(RequestScopeMiddleware(refuse)(http, no_body, sent)))


def store_down_lines() -> list[dict[str, Any]]:
    limiter = RateLimiter(Settings(), MemoryRateLimitStore())
    return captured("graphql_api.http.rate_limit", lambda: limiter._store_down(StoreUnavailable("Redis: refused")))


def matches(pattern: str, line: dict[str, Any]) -> bool:
    """A JSON metric filter pattern of `$.field = value` terms joined by &&, as CloudWatch Logs reads it."""
    terms = TERM.findall(pattern)
    assert terms, pattern
    assert pattern.strip().startswith("{"), pattern
    assert pattern.count("=") == len(terms), pattern
    return all(line.get(name) == (json.loads(value) if value.startswith('"') else int(value)) for name, value in terms)


@pytest.fixture(scope="module")
def patterns(terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    workdir = tmp_path_factory.mktemp("log-alarms")
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(terraform_root / MODULE / name, workdir / name)
    inputs: dict[str, Any] = {"name": "dev-graphql-api", "package_path": "x.zip", "environment": {"AUTH_MODE": "none"}}
    grant = {"action": "dynamodb:GetItem", "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-Orders"}
    inputs |= {"cursor_secret": "a-cursor-secret-of-some-length", "dynamodb_permissions": [grant]}
    (workdir / "terraform.tfvars.json").write_text(json.dumps(inputs), encoding="utf-8")
    found: dict[str, str] = evaluate(terraform, workdir, "local.log_alarm_patterns")
    return found


def test_each_log_alarm_counts_the_line_the_service_writes_and_not_the_others(patterns: dict[str, str]) -> None:
    assert set(patterns) == {"RateLimited", "RateLimitStoreUnavailable"}
    refused = refused_request_lines()
    down = store_down_lines()
    assert len(refused) == 1
    assert len(down) == 1
    assert matches(patterns["RateLimited"], refused[0])
    assert not matches(patterns["RateLimited"], {**refused[0], "status": 200})
    assert not matches(patterns["RateLimited"], down[0])
    assert matches(patterns["RateLimitStoreUnavailable"], down[0])
    assert not matches(patterns["RateLimitStoreUnavailable"], refused[0])
