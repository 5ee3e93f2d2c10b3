"""Filters, orders and lists over GraphQL (SPEC 13), on the tests' data set and both backends: the list fields and
the connection fields answer what a Python filter over the data set answers, page after page; a filter no index
serves is refused naming the fields that would, with no DynamoDB request; the lists follow SPEC 9's rules."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from graphql_api.repositories.orders import OrderStatus
from tests.issuer import STAFF, bearer, shared_issuer
from tests.support import Api

LIST_ORDERS = """query($filter: OrderFilter, $orderBy: OrderOrder, $first: Int, $after: String) {
  listOrders(filter: $filter, orderBy: $orderBy, first: $first, after: $after) {
    edges { node { orderId } }
    pageInfo { hasNextPage endCursor truncated }
    totalCount
  }
}"""


def _page_through(api: Api, query: str, path: list[str], variables: dict[str, Any], first: int) -> list[str]:
    ids: list[str] = []
    after = None
    for _ in range(100):
        response = api.post(query, {**variables, "first": first, "after": after})
        body = response.json()
        assert "errors" not in body, body
        connection = body["data"]
        for name in path:
            connection = connection[name]
        ids += [edge["node"]["orderId"] for edge in connection["edges"]]
        assert len(connection["edges"]) == first or not connection["pageInfo"]["hasNextPage"], connection
        if not connection["pageInfo"]["hasNextPage"]:
            return ids
        after = connection["pageInfo"]["endCursor"]
    raise AssertionError("no end in 100 pages")


def test_list_orders_by_two_customers_in_date_order_pages_through_exactly_their_orders(api: Api) -> None:
    customers = [api.data.canonical.customer_id, api.data.sparse.customer_id]
    wanted = sorted(
        (order for order in api.data.dataset.orders if order.customer_id in customers),
        key=lambda order: order.order_date,
    )
    got = _page_through(
        api,
        LIST_ORDERS,
        ["listOrders"],
        {"filter": {"customerId": {"in": customers}}, "orderBy": {"orderDate": "ASC"}},
        first=17,
    )
    assert got == [order.order_id for order in wanted]
    assert len(got) == 170


def test_list_orders_by_status_with_a_filter_on_the_total(api: Api) -> None:
    wanted = sorted(
        (
            order
            for order in api.data.dataset.orders
            if order.status == OrderStatus.PAID and order.total >= Decimal("50") and order.currency == "EUR"
        ),
        key=lambda order: order.order_date,
        reverse=True,
    )
    got = _page_through(
        api,
        LIST_ORDERS,
        ["listOrders"],
        {"filter": {"status": {"eq": "PAID"}, "total": {"gte": "50"}, "currency": {"eq": "EUR"}}},
        first=5,
    )
    assert got == [order.order_id for order in wanted]
    assert wanted  # the data set has some


def test_a_customers_orders_take_a_filter_and_count_a_filtered_list_only_when_it_fits(api: Api) -> None:
    sparse = api.data.sparse
    query = """query($id: ID!, $first: Int) { customer(customerId: $id) {
      orders(first: $first, filter: {status: {eq: CANCELLED}}) { edges { node { orderId } } totalCount } } }"""
    wanted = [order for order in api.data.dataset.orders if order.customer_id == sparse.customer_id]
    cancelled = [order for order in wanted if order.status == OrderStatus.CANCELLED]
    whole = api.data_of(query, {"id": sparse.customer_id, "first": 20})["customer"]["orders"]
    assert len(whole["edges"]) == len(cancelled) == 3
    assert whole["totalCount"] == 3  # counted: the whole filtered listing is this page
    part = api.data_of(query, {"id": sparse.customer_id, "first": 2})["customer"]["orders"]
    assert len(part["edges"]) == 2
    assert part["totalCount"] is None  # not counted: more would need reading


@pytest.mark.parametrize(
    ("filter_", "order_by", "field", "words"),
    [
        ({"total": {"gt": "5"}}, None, "filter", "customer_id, status"),
        ({"status": {"ne": "PAID"}}, None, "filter", "customer_id, status"),
        ({"status": {"eq": "PAID"}}, {"orderDate": "ASC", "unknown": None}, None, None),
        ({"status": {"in": ["PAID"] * 26}}, None, "filter.status.in", "1 to 25"),
        (
            {"orderDate": {"between": ["2026-01-01T00:00:00Z"]}, "status": {"eq": "PAID"}},
            None,
            "filter.orderDate.between",
            "two",
        ),
    ],
)
def test_a_filter_no_index_serves_is_refused_with_no_request(
    api: Api, filter_: dict[str, Any], order_by: dict[str, Any] | None, field: str | None, words: str | None
) -> None:
    response = api.post(LIST_ORDERS, {"filter": filter_, "orderBy": order_by})
    body = response.json()
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", body
    if field is not None:
        assert body["errors"][0]["extensions"]["field"] == field
        assert words in body["errors"][0]["message"]
    assert response.headers["x-dynamodb-requests"] == "0"


def test_list_products_by_category_and_price_for_anyone(api: Api) -> None:
    category = api.data.dataset.products[0].category
    wanted = sorted(
        (product for product in api.data.dataset.products if product.category == category and product.price < 100),
        key=lambda product: product.name,
        reverse=True,
    )
    query = """query($c: String!) { listProducts(filter: {category: {eq: $c}, price: {lt: "100"}},
      orderBy: {name: DESC}, first: 100) { edges { node { productId } } pageInfo { hasNextPage } } }"""
    response = api.post(query, {"c": category}, headers={})
    body = response.json()
    assert [edge["node"]["productId"] for edge in body["data"]["listProducts"]["edges"]] == [
        product.product_id for product in wanted
    ]


@pytest.mark.parametrize("field", ["listOrders", "listCustomers"])
def test_staff_lists_are_closed_to_customers_and_anonymous_callers(api: Api, field: str) -> None:
    filter_ = "{status: {eq: PAID}}" if field == "listOrders" else '{email: {eq: "x@example.com"}}'
    query = f"{{ {field}(filter: {filter_}) {{ edges {{ cursor }} }} }}"
    customer = bearer(shared_issuer().token("some-customer"))
    for headers, code in (({}, "UNAUTHENTICATED"), (customer, "FORBIDDEN")):
        response = api.post(query, headers=headers)
        body = response.json()
        assert body["errors"][0]["extensions"]["code"] == code, body
        assert body.get("data") is None or body["data"].get(field) is None
        assert response.headers["x-dynamodb-requests"] == "0"
    staff = bearer(shared_issuer().token(STAFF[0], STAFF[1]))
    assert "errors" not in api.post(query, headers=staff).json()


ORDERS_BACKWARD = """query($id: ID!, $last: Int, $before: String) { customer(customerId: $id) {
  orders(last: $last, before: $before, filter: {total: {gt: "20"}}) {
    edges { cursor node { orderId } } pageInfo { hasPreviousPage hasNextPage startCursor endCursor } } } }"""


def test_reading_backwards_with_last_and_before_walks_the_same_listing_from_its_end(api: Api) -> None:
    """Relay's last/before: pages from the end, each in the listing's order; their edges' cursors continue either
    way (the forward page after a backward page's last edge is the next items)."""
    sparse = api.data.sparse
    wanted = [
        order.order_id
        for order in sorted(api.data.dataset.orders, key=lambda order: order.order_date, reverse=True)
        if order.customer_id == sparse.customer_id and order.total > Decimal("20")
    ]
    pages: list[list[str]] = []
    before = None
    for _ in range(50):
        connection = api.data_of(ORDERS_BACKWARD, {"id": sparse.customer_id, "last": 9, "before": before})["customer"][
            "orders"
        ]
        pages.insert(0, [edge["node"]["orderId"] for edge in connection["edges"]])
        assert connection["pageInfo"]["hasNextPage"] is (before is not None)
        if not connection["pageInfo"]["hasPreviousPage"]:
            break
        before = connection["pageInfo"]["startCursor"]
        assert before == connection["edges"][0]["cursor"]
    assert [order_id for page in pages for order_id in page] == wanted
    assert all(len(page) == 9 for page in pages[1:])

    # A backward page's edge cursor, used forward, continues after that edge.
    middle = api.data_of(ORDERS_BACKWARD, {"id": sparse.customer_id, "last": 5})["customer"]["orders"]
    forward = api.data_of(
        """query($id: ID!, $after: String) { customer(customerId: $id) {
          orders(first: 3, after: $after, filter: {total: {gt: "20"}}) { edges { node { orderId } } } } }""",
        {"id": sparse.customer_id, "after": middle["edges"][0]["cursor"]},
    )["customer"]["orders"]
    assert [edge["node"]["orderId"] for edge in forward["edges"]] == wanted[-4:-1]


def test_reading_backwards_over_several_partitions_is_refused(api: Api) -> None:
    customers = [api.data.canonical.customer_id, api.data.sparse.customer_id]
    response = api.post(
        "query($c: [ID!]!) { listOrders(filter: {customerId: {in: $c}}, last: 3) { edges { cursor } } }",
        {"c": customers},
    )
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "last"}
    assert response.headers["x-dynamodb-requests"] == "0"
