"""Fixtures that build real state: DynamoDB-compatible servers, tables, data, and the app over HTTP.

Integration tests take the `api` fixture and so run once per backend: moto's server and
Amazon's DynamoDB Local, both started here for the test session.
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections import Counter
from collections.abc import Iterator
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
from tests.backends import dynamodb_local, moto_server, service_process
from tests.fixtures_data import TestData, build_test_data
from tests.issuer import CLIENT_ID, admin_headers, shared_issuer

BACKENDS = ("moto", "dynamodb-local")


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    with dynamodb_local() as url:
        yield url


@pytest.fixture(scope="session", params=BACKENDS)
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
