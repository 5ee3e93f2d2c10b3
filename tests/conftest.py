"""Fixtures that build real state: DynamoDB-compatible servers, tables, data, and the app over HTTP.

Integration tests take the `api` fixture (or `endpoint`) and so run once per backend: moto's server and
Amazon's DynamoDB Local, both started here for the test session.

Which backends run (docs/decisions/ has the reasoning):

- Both, by default: wherever DynamoDB's behaviour is what the test is about (conditions, transactions,
  queries, pagination, batches, streams, faults), the emulators differ and both must agree.
- One, for a test or module marked `@pytest.mark.one_backend`: what it checks is decided before or
  above DynamoDB (HTTP, limits, tokens, logs, metrics, documents, the CLI's wiring), so a second backend
  only doubles its time. It runs on DynamoDB Local (the faster and more faithful of the two) when selected.
- `TEST_BACKENDS=dynamodb-local` (or `moto`) narrows a whole run to one backend: the quick loop's setting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import uuid
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.client import open_dynamo
from graphql_api.logs import JsonLogFormatter
from graphql_api.ops.seed import write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.settings import Settings
from tests.backends import DYNAMODB_LOCAL_ENDPOINT_VARIABLE, dynamodb_local, moto_server, service_process
from tests.dynamodb_access import RECORD, WORKER_OUTPUT_KEY, AccessRecord, drift_report
from tests.fixtures_data import TestData, build_test_data
from tests.issuer import CLIENT_ID, admin_headers, shared_issuer

BACKENDS = ("moto", "dynamodb-local")
SELECTED_BACKENDS = tuple(name for name in os.environ.get("TEST_BACKENDS", ",".join(BACKENDS)).split(",") if name)
if not SELECTED_BACKENDS or set(SELECTED_BACKENDS) - set(BACKENDS):
    raise pytest.UsageError(f"TEST_BACKENDS names backends among {', '.join(BACKENDS)}, got {SELECTED_BACKENDS}")
ONE_BACKEND = "dynamodb-local" if "dynamodb-local" in SELECTED_BACKENDS else SELECTED_BACKENDS[0]
"""Where a `one_backend` test runs."""


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "one_backend: the backend does not matter here; run on one (ONE_BACKEND)")
    if _is_xdist_controller(config) and "dynamodb-local" in SELECTED_BACKENDS:
        # One DynamoDB Local for every worker (a JVM, multi-threaded, slow to warm up): the workers inherit
        # its address (tests.backends.dynamodb_local). Each worker keeps a moto of its own: moto answers one
        # request at a time, so a shared one would serialise the workers.
        servers = ExitStack()
        config.add_cleanup(servers.close)
        os.environ[DYNAMODB_LOCAL_ENDPOINT_VARIABLE] = servers.enter_context(dynamodb_local())


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


# --- The IAM record (tests/dynamodb_access.py): merged over workers, compared with the policy at the end ------

_WORKER_RECORDS = AccessRecord(complete=True)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker ended; add what it recorded."""
    exported = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if exported is None or error:
        _WORKER_RECORDS.complete = False
    else:
        _WORKER_RECORDS.merge(exported)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_OUTPUT_KEY] = RECORD.export()  # type: ignore[attr-defined]
        return
    record = _WORKER_RECORDS if _is_xdist_controller(config) else RECORD
    if not record.complete:  # only when the whole integration tier ran
        return
    report = drift_report(record)
    if report:
        terminal = config.pluginmanager.get_plugin("terminalreporter")
        if terminal is not None:
            terminal.write_sep("=", "the IAM policy and the recorded DynamoDB calls disagree", red=True)
            terminal.write_line(report)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def backend_of(item: pytest.Item) -> str | None:
    """The backend a collected test runs on (None when it takes no `endpoint`)."""
    callspec = getattr(item, "callspec", None)
    backend: str | None = callspec.params.get("endpoint") if callspec is not None else None
    return backend


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the other backend's copy of every `one_backend` test."""
    kept, dropped = [], []
    for item in items:
        if backend_of(item) not in (None, ONE_BACKEND) and item.get_closest_marker("one_backend"):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    with dynamodb_local() as url:
        yield url


@pytest.fixture(scope="session", params=SELECTED_BACKENDS)
def endpoint(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param.replace('-', '_')}_endpoint")
    return url


def fresh_settings(endpoint: str, **changes: Any) -> Settings:
    """Settings for a new, empty set of tables (a unique prefix) at `endpoint`, trusting the tests' issuer."""
    issuer = shared_issuer()
    defaults: dict[str, Any] = {
        "table_prefix": f"t{uuid.uuid4().hex[:8]}-",
        "cursor_secret": "test-secret",
        "auth_issuer": issuer.url,
        "auth_audience": (CLIENT_ID,),
        # The backends are emulators on a shared machine, and moto answers one request at a time: 50
        # concurrent orders queue 150 calls behind each other. A test about timeouts sets its own; the rest
        # must not fail because a busy emulator answered after the production default of 5 s.
        "dynamodb_read_timeout": 60.0,
    }
    return Settings(dynamodb_endpoint_url=endpoint, **{**defaults, **changes})


def run_with_dynamo(settings: Settings, work: Any) -> Any:
    async def run() -> Any:
        async with open_dynamo(settings) as dynamo:
            return await work(dynamo)

    return asyncio.run(run())


@dataclass
class Api:
    """The service over HTTP (ASGI), on its own tables, with the test data loaded."""

    client: TestClient
    settings: Settings
    data: TestData

    def post(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> httpx2.Response:
        """As an admin unless `headers` say otherwise (`{}`: anonymous)."""
        return self.client.post(
            "/graphql",
            json={"query": query, "variables": variables or {}},
            headers=admin_headers() if headers is None else headers,
        )

    def query(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        response = self.post(query, variables, headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def data_of(
        self, query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None
    ) -> dict[str, Any]:
        body = self.query(query, variables, headers)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data


@pytest.fixture(scope="session")
def test_data() -> TestData:
    return build_test_data()


@pytest.fixture(scope="session")
def api(endpoint: str, test_data: TestData) -> Iterator[Api]:
    settings = fresh_settings(endpoint)

    async def prepare(dynamo: Any) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, test_data.dataset)

    run_with_dynamo(settings, prepare)
    with TestClient(create_app(settings)) as client:
        yield Api(client=client, settings=settings, data=test_data)


@pytest.fixture(scope="session")
def live_url(api: Api) -> Iterator[str]:
    """The same service on the same tables, but under uvicorn in its own process: for real concurrency."""
    with service_process(api.settings) as url:
        yield url


async def post_concurrently(
    url: str, bodies: list[dict[str, Any]], headers: dict[str, str] | list[dict[str, str]] | None = None
) -> list[dict[str, Any]]:
    """Send every body at once over real HTTP connections, as an admin by default, or with `headers` (the
    same for all, or one per body); the answers in order."""
    import httpx

    each = headers if isinstance(headers, list) else [admin_headers() if headers is None else headers] * len(bodies)
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=len(bodies))) as client:
        responses = await asyncio.gather(
            *(client.post(url, json=body, headers=sent) for body, sent in zip(bodies, each, strict=True))
        )
    assert all(response.status_code == 200 for response in responses), [r.text for r in responses]
    return [response.json() for response in responses]


def outcomes(bodies: list[dict[str, Any]]) -> Counter[str]:
    """How many answers succeeded ("ok") and how many failed, by error code."""
    return Counter(body["errors"][0]["extensions"]["code"] if body.get("errors") else "ok" for body in bodies)


def snapshot(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every item of every table, in a stable order: to show that nothing changed."""
    from graphql_api.dynamo.serialization import deserialize_item
    from graphql_api.repositories import ALL_TABLES

    async def scan(dynamo: Any) -> dict[str, list[dict[str, Any]]]:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in ALL_TABLES:
            items: list[dict[str, Any]] = []
            params: dict[str, Any] = {"TableName": table.physical_name(dynamo.table_prefix), "ConsistentRead": True}
            while True:
                page = await dynamo.call("scan", **params)
                items += [deserialize_item(item) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            tables[table.name] = sorted(items, key=lambda item: tuple(str(item[k]) for k in table.key_names))
        return tables

    result: dict[str, list[dict[str, Any]]] = run_with_dynamo(settings, scan)
    return result


def logged(records: list[logging.LogRecord], logger: str = "graphql_api.request") -> list[dict[str, Any]]:
    """The lines `logger` wrote, as the JSON a log pipeline reads (the service's own formatter)."""
    formatter = JsonLogFormatter()
    return [json.loads(formatter.format(record)) for record in records if record.name == logger]
