"""Abuse limits (SPEC section 7): each rejection names the limit and costs no DynamoDB call."""

from __future__ import annotations

from typing import Any

import pytest

from tests.issuer import admin_headers
from tests.support import Api

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

CUSTOMER = "cus_" + "0" * 32


def _rejected(api: Api, body: Any) -> dict[str, Any]:
    response = api.client.post("/graphql", json=body, headers=admin_headers())
    assert response.headers["x-dynamodb-requests"] == "0"
    payload: dict[str, Any] = response.json()
    errors = payload["errors"] if isinstance(payload, dict) else payload[0]["errors"]
    error: dict[str, Any] = errors[0]
    return error


def _nested(depth: int) -> str:
    query = "orderId"
    for _ in range(depth):
        query = f"customer {{ orders(first: 1) {{ edges {{ node {{ {query} }} }} }} }}"
    return f'{{ order(orderId: "ord_{"0" * 32}") {{ {query} }} }}'


def test_too_deep(api: Api) -> None:
    error = _rejected(api, {"query": _nested(3)})
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "depth", "allowed": 10}
    assert "depth of 10" in error["message"]


def test_depth_within_the_limit_is_served(api: Api) -> None:
    body = api.query(_nested(1))
    assert "errors" not in body
    assert body["data"] == {"order": None}


def test_too_many_aliases(api: Api) -> None:
    query = "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
    error = _rejected(api, {"query": query})
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "aliases", "allowed": 30}
    assert "Allowed: 30" in error["message"]


def test_too_many_root_fields(api: Api) -> None:
    query = "{ " + " ".join(f'c{n}: customer(customerId: "{CUSTOMER}") {{ name }}' for n in range(11)) + " }"
    error = _rejected(api, {"query": query})
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "rootFields", "allowed": 10}


def test_document_too_large(api: Api) -> None:
    query = "{ __typename }" + " " * 21_000
    error = _rejected(api, {"query": query})
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "documentBytes", "allowed": 20480}


def test_estimated_items_over_budget(api: Api) -> None:
    query = f"""{{ customer(customerId: "{CUSTOMER}") {{ orders(first: 100) {{ edges {{ node {{
        items {{ product {{ name }} }} }} }} }} }} }}"""
    error = _rejected(api, {"query": query})
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "estimatedItems", "allowed": 2000}
    assert "2500" in error["message"]


def test_budget_counts_variables(api: Api) -> None:
    query = """query($id: ID!, $n: Int) { customer(customerId: $id) { orders(first: $n) { edges { node {
        items { quantity } } } } } }"""
    assert _rejected(api, {"query": query, "variables": {"id": CUSTOMER, "n": 81}})["extensions"]["code"] == (
        "QUERY_TOO_COMPLEX"
    )
    assert api.data_of(query, {"id": CUSTOMER, "n": 80}) == {"customer": None}


def test_nested_first_out_of_range_costs_no_request(api: Api) -> None:
    query = f'{{ customer(customerId: "{api.data.canonical.customer_id}") {{ orders(first: 101) {{ edges {{ cursor }} }} }} }}'
    error = _rejected(api, {"query": query})
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "first"}


def test_too_many_product_ids_costs_no_request(api: Api) -> None:
    ids = [f"prd_{n:032x}" for n in range(101)]
    error = _rejected(
        api, {"query": "query($ids: [ID!]!) { products(productIds: $ids) { name } }", "variables": {"ids": ids}}
    )
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "productIds"}


def test_batched_requests_are_served_up_to_ten_operations(api: Api) -> None:
    response = api.client.post("/graphql", json=[{"query": "{ __typename }"}] * 10)
    assert [answer["data"] for answer in response.json()] == [{"__typename": "Query"}] * 10
    response = api.client.post("/graphql", json=[{"query": "{ __typename }"}] * 11)
    assert response.status_code == 400
    assert response.headers["x-dynamodb-requests"] == "0"
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": "batchOperations", "allowed": 10}
    assert "11 operations" in error["message"]


@pytest.mark.parametrize("first", [1, 100])
def test_the_bounds_of_first_are_allowed(api: Api, first: int) -> None:
    data = api.data_of(
        'query($n: Int) { productsByCategory(category: "canonical", first: $n) { edges { cursor } } }', {"n": first}
    )
    assert len(data["productsByCategory"]["edges"]) == min(first, 60)
