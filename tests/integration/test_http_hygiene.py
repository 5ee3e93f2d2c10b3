"""HTTP hygiene: CORS closed by default, body size limit, request ids, security headers, JSON errors."""

from __future__ import annotations

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from tests.support import Api, fresh_settings

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


def test_cors_is_closed_by_default(api: Api) -> None:
    response = api.client.options(
        "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    assert "access-control-allow-origin" not in response.headers
    response = api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in response.headers


def test_cors_allows_the_configured_origins_only(endpoint: str) -> None:
    settings = fresh_settings(endpoint, cors_allow_origins=("https://shop.example",))
    with TestClient(create_app(settings)) as client:
        allowed = client.options(
            "/graphql", headers={"Origin": "https://shop.example", "Access-Control-Request-Method": "POST"}
        )
        refused = client.options(
            "/graphql", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
        )
    assert allowed.headers["access-control-allow-origin"] == "https://shop.example"
    assert "access-control-allow-origin" not in refused.headers


def test_a_body_over_the_limit_is_413_with_a_code(api: Api) -> None:
    response = api.client.post(
        "/graphql", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"content-type": "application/json"}
    )
    assert response.status_code == 413
    assert response.json() == {
        "errors": [{"message": "the request body exceeds 1048576 bytes", "extensions": {"code": "BAD_USER_INPUT"}}]
    }
    assert response.headers["x-request-id"]


def test_security_headers_on_api_and_graphiql(api: Api) -> None:
    api_response = api.client.post("/graphql", json={"query": "{ __typename }"})
    page = api.client.get("/graphql", headers={"Accept": "text/html"})
    for response in (api_response, page):
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["x-frame-options"] == "DENY"
        assert response.headers["referrer-policy"] == "no-referrer"
    assert "frame-ancestors 'none'" in page.headers["content-security-policy"]
    assert api_response.headers["cache-control"] == "no-store"


def test_http_level_errors_are_json_with_a_code(api: Api) -> None:
    cases = [
        api.client.post("/graphql", content=b"{not json", headers={"content-type": "application/json"}),
        api.client.post("/graphql", content=b"query", headers={"content-type": "text/plain"}),
        api.client.get(
            "/graphql", params={"query": 'mutation { deleteCustomer(customerId: "x", expectedVersion: 1) }'}
        ),
        api.client.put("/graphql", json={"query": "{ __typename }"}),
    ]
    for response in cases:
        assert response.status_code in (400, 405), response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
