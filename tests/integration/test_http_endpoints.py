"""GraphiQL for a browser, /healthz and /readyz for orchestrators."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.graphql.registry import ALL_TABLES
from tests.issuer import admin_headers
from tests.support import Api, fresh_settings

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


def test_graphiql_is_served_to_a_browser(api: Api) -> None:
    response = api.client.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "graphiql" in response.text.lower()


def test_healthz_answers_without_touching_dynamodb(api: Api) -> None:
    response = api.client.get("/healthz")
    assert response.json() == {"status": "ok"}
    assert response.headers["x-dynamodb-requests"] == "0"


def test_readyz_is_ready_when_every_table_is_active(api: Api) -> None:
    response = api.client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready"}


def test_readyz_is_503_when_tables_are_missing(endpoint: str) -> None:
    with TestClient(create_app(fresh_settings(endpoint))) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert set(response.json()["missingTables"]) == {table.name for table in ALL_TABLES}


def test_readyz_is_503_when_dynamodb_is_unreachable() -> None:
    settings = fresh_settings("http://127.0.0.1:9", dynamodb_connect_timeout=0.5, dynamodb_max_attempts=1)
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"


def test_queries_get_unavailable_when_dynamodb_is_unreachable() -> None:
    settings = fresh_settings("http://127.0.0.1:9", dynamodb_connect_timeout=0.5, dynamodb_max_attempts=1)
    with TestClient(create_app(settings)) as client:
        response = client.post(
            "/graphql",
            json={"query": '{ customer(customerId: "cus_00000000000000000000000000000000") { name } }'},
            headers=admin_headers(),
        )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "UNAVAILABLE"
    assert "127.0.0.1" not in response.text
