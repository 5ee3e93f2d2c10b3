"""Relay pagination: walking to the end, full pages under sparse filters, bad cursors, bounds on first."""

from __future__ import annotations

from typing import Any

import pytest

from tests.fixtures_data import SPARSE_MATCHES
from tests.support import Api

ORDERS_PAGE = """query($id: ID!, $first: Int, $after: String, $status: OrderStatus) {
  customer(customerId: $id) { orders(first: $first, after: $after, status: $status) {
    edges { cursor node { orderId status } } pageInfo { hasNextPage endCursor } } } }"""

CATEGORY_PAGE = """query($category: String!, $first: Int, $after: String) {
  productsByCategory(category: $category, first: $first, after: $after) {
    edges { cursor node { productId name } } pageInfo { hasNextPage endCursor } } }"""


def _walk(api: Api, query: str, variables: dict[str, Any], pick: Any) -> list[dict[str, Any]]:
    pages = []
    after = None
    while True:
        connection = pick(api.data_of(query, {**variables, "after": after}))
        pages.append(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        assert connection["edges"], "a page is never empty while hasNextPage is true"
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]


def test_walking_a_category_to_the_end_sees_every_product_once(api: Api) -> None:
    pages = _walk(api, CATEGORY_PAGE, {"category": "canonical", "first": 7}, lambda d: d["productsByCategory"])
    names = [edge["node"]["name"] for page in pages for edge in page["edges"]]
    assert names == sorted(p.name for p in api.data.dataset.products if p.category == "canonical")
    assert [len(page["edges"]) for page in pages] == [7] * 8 + [4]


def test_walking_a_customers_orders_to_the_end(api: Api) -> None:
    customer = api.data.sparse
    pages = _walk(api, ORDERS_PAGE, {"id": customer.customer_id, "first": 40}, lambda d: d["customer"]["orders"])
    ids = [edge["node"]["orderId"] for page in pages for edge in page["edges"]]
    assert len(ids) == len(set(ids)) == customer.order_count
    assert [len(page["edges"]) for page in pages] == [40, 40, 40, 30]


def test_sparse_filtered_matches_still_fill_every_page(api: Api) -> None:
    customer = api.data.sparse
    pages = _walk(
        api,
        ORDERS_PAGE,
        {"id": customer.customer_id, "first": 2, "status": "CANCELLED"},
        lambda d: d["customer"]["orders"],
    )
    sizes = [len(page["edges"]) for page in pages]
    assert sizes == [2, 1]
    statuses = {edge["node"]["status"] for page in pages for edge in page["edges"]}
    assert statuses == {"CANCELLED"}
    assert sum(sizes) == SPARSE_MATCHES


def test_the_last_exact_page_says_there_is_no_next(api: Api) -> None:
    pages = _walk(api, CATEGORY_PAGE, {"category": "canonical", "first": 60}, lambda d: d["productsByCategory"])
    assert len(pages) == 1
    assert len(pages[0]["edges"]) == 60


def _error(api: Api, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    body = api.query(query, variables)
    assert len(body["errors"]) == 1, body
    error: dict[str, Any] = body["errors"][0]
    return error


def test_an_altered_cursor_is_bad_user_input(api: Api) -> None:
    page = api.data_of(CATEGORY_PAGE, {"category": "canonical", "first": 2})["productsByCategory"]
    cursor = page["pageInfo"]["endCursor"]
    altered = cursor[:-2] + ("AA" if not cursor.endswith("AA") else "BB")
    error = _error(api, CATEGORY_PAGE, {"category": "canonical", "first": 2, "after": altered})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert "after" in error["message"]


def test_a_cursor_from_another_listing_is_rejected(api: Api) -> None:
    page = api.data_of(CATEGORY_PAGE, {"category": "canonical", "first": 2})["productsByCategory"]
    cursor = page["pageInfo"]["endCursor"]
    other_category = api.data.dataset.products[0].category
    error = _error(api, CATEGORY_PAGE, {"category": other_category, "first": 2, "after": cursor})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    customer = api.data.sparse
    error = _error(api, ORDERS_PAGE, {"id": customer.customer_id, "first": 2, "after": cursor})
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


def test_a_cursor_of_an_unfiltered_listing_is_rejected_by_the_filtered_one(api: Api) -> None:
    customer = api.data.sparse
    page = api.data_of(ORDERS_PAGE, {"id": customer.customer_id, "first": 2})["customer"]["orders"]
    error = _error(
        api,
        ORDERS_PAGE,
        {"id": customer.customer_id, "first": 2, "status": "CANCELLED", "after": page["pageInfo"]["endCursor"]},
    )
    assert error["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("first", [0, -5, 101, 1000])
def test_first_out_of_range_is_bad_user_input_and_costs_no_listing_query(api: Api, first: int) -> None:
    response = api.post(CATEGORY_PAGE, {"category": "canonical", "first": first})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "first" in body["errors"][0]["message"]
    assert response.headers["x-dynamodb-requests"] == "0"


@pytest.mark.parametrize(
    ("after", "before"),
    [("2026-03-01T00:00:00Z", "2026-02-01T00:00:00Z"), ("2026-03-01T00:00:00Z", "2026-03-01T00:00:00Z")],
)
def test_an_empty_date_range_is_an_empty_page_at_no_listing_cost(api: Api, after: str, before: str) -> None:
    """placedAfter at or past placedBefore holds no order: an empty page, not DynamoDB's refusal of the BETWEEN."""
    query = """query($a: DateTime, $b: DateTime, $id: ID!) {
      ordersByStatus(status: PENDING, placedAfter: $a, placedBefore: $b) { edges { cursor } pageInfo { hasNextPage } }
      customer(customerId: $id) { orders(placedAfter: $a, placedBefore: $b) { edges { cursor } pageInfo { hasNextPage } } }
    }"""
    response = api.post(query, {"a": after, "b": before, "id": api.data.canonical.customer_id})
    body = response.json()
    assert "errors" not in body, body["errors"]
    for connection in (body["data"]["ordersByStatus"], body["data"]["customer"]["orders"]):
        assert connection == {"edges": [], "pageInfo": {"hasNextPage": False}}
    assert response.headers["x-dynamodb-requests"] == "1"  # the customer only: no Query for an empty range
