"""GraphQL over HTTP: application/graphql-response+json when the client accepts it (request errors are 400 without
`data`; field errors stay 200 with `data`), application/json as before."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_api.http.view import accepts_graphql_response
from tests.issuer import admin_headers
from tests.support import Api

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

GRAPHQL_RESPONSE = "application/graphql-response+json"


def _post(api: Api, body: dict[str, object], accept: str) -> tuple[int, str, dict[str, Any]]:
    response = api.client.post("/graphql", json=body, headers={**admin_headers(), "Accept": accept})
    return response.status_code, response.headers["content-type"], response.json()


@pytest.mark.parametrize(
    "body",
    [
        {"query": "{"},  # does not parse
        {"query": "{ nope }"},  # does not validate
        {"query": "query Q($id: ID!) { product(productId: $id) { name } }", "variables": {"id": [1, 2]}},  # coercion
    ],
    ids=["parse", "validate", "variables"],
)
def test_a_request_error_is_a_400_without_data(api: Api, body: dict[str, object]) -> None:
    status, content_type, answer = _post(api, body, f"{GRAPHQL_RESPONSE}, application/json;q=0.9")
    assert (status, content_type.split(";")[0]) == (400, GRAPHQL_RESPONSE)
    assert "data" not in answer
    assert answer["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    # The same request accepting only application/json: 200 with data null, as before.
    status, content_type, answer = _post(api, body, "application/json")
    assert (status, content_type.split(";")[0], answer["data"]) == (200, "application/json", None)


def test_a_field_error_keeps_status_200_and_its_data(api: Api) -> None:
    query = (
        '{ product(productId: "prd_00000000000000000000000000000000") { name } customer(customerId: "bad") { name } }'
    )
    status, content_type, answer = _post(api, {"query": query}, GRAPHQL_RESPONSE)
    assert (status, content_type.split(";")[0]) == (200, GRAPHQL_RESPONSE)
    assert answer["data"] == {"product": None, "customer": None}
    assert [error["path"] for error in answer["errors"]] == [["customer"]]


def test_an_http_level_refusal_uses_the_accepted_media_type(api: Api) -> None:
    response = api.client.post(
        "/graphql", content=b"{not json", headers={"content-type": "application/json", "Accept": GRAPHQL_RESPONSE}
    )
    assert response.status_code == 400
    assert response.headers["content-type"].startswith(GRAPHQL_RESPONSE)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("application/graphql-response+json", True),
        ("application/json, application/graphql-response+json;q=0.9", True),
        ("application/graphql-response+json;q=0", False),
        ("application/json", False),
        ("*/*", False),
        ("", False),
    ],
)
def test_accept_negotiation(accept: str, expected: bool) -> None:
    assert accepts_graphql_response(accept) is expected
