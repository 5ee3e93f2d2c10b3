"""Malformed HTTP requests: each gets a JSON error with a documented code, and no table changes."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.issuer import admin_headers
from tests.operations import CREATE_CUSTOMER, CREATE_PRODUCT, customer_input, product_input
from tests.support import Api, snapshot

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

JSON = {"content-type": "application/json"}
CUSTOMER = "cus_" + "0" * 32
PRODUCT_BY_ID = "query($id: ID!) { product(productId: $id) { name } }"
PAGE = 'query($n: Int) { productsByCategory(category: "x", first: $n) { edges { cursor } } }'


def raw(body: str | bytes, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"method": "POST", "content": body.encode() if isinstance(body, str) else body, "headers": headers or JSON}


def post(body: Any) -> dict[str, Any]:
    return {"method": "POST", "json": body}


# (case id, request, expected HTTP status)
CASES: list[tuple[str, dict[str, Any], int]] = [
    ("invalid-json", raw("{not json"), 400),
    ("empty-body", raw(""), 400),
    ("json-string", raw('"{ __typename }"'), 400),
    ("json-number", raw("42"), 400),
    ("array-of-numbers", raw("[1, 2]"), 400),
    ("no-query", post({}), 400),
    ("query-not-a-string", post({"query": 5}), 400),
    ("empty-query", post({"query": ""}), 400),
    ("variables-not-an-object", post({"query": PRODUCT_BY_ID, "variables": [1]}), 400),
    ("text-plain", raw("{ __typename }", {"content-type": "text/plain"}), 400),
    ("form-urlencoded", raw("query=%7B__typename%7D", {"content-type": "application/x-www-form-urlencoded"}), 400),
    ("xml", raw("<query/>", {"content-type": "application/xml"}), 400),
    ("two-megabytes", raw(b'{"query": "' + b"a" * (2 * 1024 * 1024) + b'"}'), 413),
    (
        "get-with-mutation",
        {"method": "GET", "params": {"query": 'mutation { deleteCustomer(customerId: "x", expectedVersion: 1) }'}},
        400,
    ),
    ("put", {"method": "PUT", "json": {"query": "{ __typename }"}}, 405),
    ("delete", {"method": "DELETE"}, 405),
    ("unknown-operation-name", post({"query": "query A { __typename }", "operationName": "B"}), 400),
    ("two-operations-no-name", post({"query": "query A { __typename } query B { __typename }"}), 200),
    ("syntax-error", post({"query": "{ customer(customerId: }"}), 200),
    ("unknown-field", post({"query": "{ nope }"}), 200),
    ("string-for-int", post({"query": PAGE, "variables": {"n": "ten"}}), 200),
    ("null-for-non-null", post({"query": PRODUCT_BY_ID, "variables": {"id": None}}), 200),
    ("missing-variable", post({"query": PRODUCT_BY_ID}), 200),
    (
        "nan",
        raw(
            '{"query": "query($n: Int) { productsByCategory(category: \\"x\\", first: $n) { edges { cursor } } }", "variables": {"n": NaN}}'
        ),
        400,
    ),
    ("huge-float", post({"query": PAGE, "variables": {"n": 1e300}}), 200),
    ("huge-int", post({"query": PAGE, "variables": {"n": 2**70}}), 200),
    ("enum-as-string", post({"query": '{ ordersByStatus(status: "PAID") { edges { cursor } } }'}), 200),
    ("fragment-cycle", post({"query": "{ ...A } fragment A on Query { ...B } fragment B on Query { ...A }"}), 200),
    (
        "nested-list-for-list",
        post(
            {"query": "query($ids: [ID!]!) { products(productIds: $ids) { name } }", "variables": {"ids": [["prd_x"]]}}
        ),
        200,
    ),
    (
        "control-characters",
        post({"query": CREATE_CUSTOMER, "variables": {"input": customer_input(name="Ada\x07\x1b[31m")}}),
        200,
    ),
    (
        "ten-thousand-characters",
        post({"query": CREATE_CUSTOMER, "variables": {"input": customer_input(name="x" * 10_000)}}),
        200,
    ),
    (
        "right-to-left-override-email",
        post({"query": CREATE_CUSTOMER, "variables": {"input": customer_input(email="ada\u202emoc.elpmaxe@x.io")}}),
        200,
    ),
    (
        "fullwidth-at-email",
        post({"query": CREATE_CUSTOMER, "variables": {"input": customer_input(email="ada\uff20example.com")}}),
        200,
    ),
    (
        "object-for-decimal",
        post({"query": CREATE_PRODUCT, "variables": {"input": product_input(price={"amount": 1})}}),
        200,
    ),
    (
        "price-as-float-with-fraction-of-cent",
        post({"query": CREATE_PRODUCT, "variables": {"input": product_input(price=0.001)}}),
        200,
    ),
    ("batch-with-a-bad-element", post([{"query": "{ __typename }"}, {"nope": 1}]), 400),
    ("eleven-batched-operations", post([{"query": "{ __typename }"}] * 11), 400),
]


def _send(api: Api, request: dict[str, Any]) -> Any:
    request = dict(request)
    method = request.pop("method")
    # As an admin: what is under test is the request's shape, not the caller's rights.
    headers = {**admin_headers(), **request.pop("headers", {})}
    return api.client.request(method, "/graphql", headers=headers, **request)


@pytest.mark.parametrize(("case", "request_", "status"), CASES, ids=[case[0] for case in CASES])
def test_malformed_request_gets_a_documented_error(api: Api, case: str, request_: dict[str, Any], status: int) -> None:
    response = _send(api, request_)
    assert response.status_code == status, response.text
    body = response.json()
    answers = body if isinstance(body, list) else [body]
    errors = [error for answer in answers for error in answer.get("errors") or []]
    assert errors, body
    assert {error["extensions"]["code"] for error in errors} <= {"BAD_USER_INPUT", "QUERY_TOO_COMPLEX"}, errors
    assert response.headers["x-request-id"]
    assert "Traceback" not in response.text


def test_no_malformed_request_changes_any_table(api: Api) -> None:
    before = snapshot(api.settings)
    for _, request, _ in CASES:
        _send(api, request)
    assert snapshot(api.settings) == before


def test_there_are_at_least_thirty_cases() -> None:
    assert len(CASES) >= 30
    assert len({json.dumps(case[1], default=str) for case in CASES}) == len(CASES)
