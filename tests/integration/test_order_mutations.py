"""placeOrder, updateOrderStatus, cancelOrder: atomic, idempotent, and following the status machine."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.operations import (
    CANCEL_ORDER,
    CANONICAL,
    GET_CUSTOMER,
    GET_ORDER,
    PLACE_ORDER,
    UPDATE_ORDER_STATUS,
    create_customer,
    create_product,
    error_of,
    order_input,
    place_order,
    stock_of,
)
from tests.support import Api, snapshot


def test_place_order_prices_lines_and_decrements_stock(api: Api) -> None:
    customer = create_customer(api)
    kettle = create_product(api, price="19.99", stock=5)
    mug = create_product(api, price="0.10", stock=100)
    order = place_order(api, customer["customerId"], [(kettle["productId"], 2), (mug["productId"], 3)])
    assert order["status"] == "PENDING"
    assert order["version"] == 1
    assert order["itemCount"] == 2
    assert Decimal(order["total"]) == Decimal("40.28")
    assert [(i["itemId"], i["unitPrice"], i["lineTotal"]) for i in order["items"]] == [
        ("001", "19.99", "39.98"),
        ("002", "0.10", "0.30"),
    ]
    assert stock_of(api, kettle["productId"]) == 3
    assert stock_of(api, mug["productId"]) == 97
    assert api.data_of(GET_ORDER, {"id": order["orderId"]})["order"] == order
    counts = api.data_of(
        "query($id: ID!) { customer(customerId: $id) { orderCount orders { totalCount } } }",
        {"id": customer["customerId"]},
    )["customer"]
    assert counts == {"orderCount": 1, "orders": {"totalCount": 1}}


def test_out_of_stock_names_the_product_and_writes_nothing(api: Api) -> None:
    customer = create_customer(api)
    plenty = create_product(api, stock=100)
    scarce = create_product(api, stock=2)
    before = snapshot(api.settings)
    body = api.query(
        PLACE_ORDER,
        {"input": order_input(customer["customerId"], [(plenty["productId"], 1), (scarce["productId"], 3)])},
    )
    error = error_of(body)
    assert error["extensions"]["code"] == "OUT_OF_STOCK"
    assert error["extensions"]["productId"] == scarce["productId"]
    assert error["extensions"]["field"] == "items[1].quantity"
    assert snapshot(api.settings) == before


@pytest.mark.parametrize("missing", ["customer", "product"])
def test_unknown_customer_or_product_is_not_found(api: Api, missing: str) -> None:
    customer_id = "cus_" + "a" * 32 if missing == "customer" else create_customer(api)["customerId"]
    product_id = "prd_" + "a" * 32 if missing == "product" else create_product(api)["productId"]
    before = snapshot(api.settings)
    error = error_of(api.query(PLACE_ORDER, {"input": order_input(customer_id, [(product_id, 1)])}))
    assert error["extensions"]["code"] == "NOT_FOUND"
    assert snapshot(api.settings) == before


def test_the_same_idempotency_key_returns_the_same_order(api: Api) -> None:
    customer = create_customer(api)
    product = create_product(api, stock=10)
    first = place_order(api, customer["customerId"], [(product["productId"], 2)], key="checkout-1")
    again = place_order(api, customer["customerId"], [(product["productId"], 2)], key="checkout-1")
    assert again == first
    assert stock_of(api, product["productId"]) == 8
    other_customer = create_customer(api)
    theirs = place_order(api, other_customer["customerId"], [(product["productId"], 1)], key="checkout-1")
    assert theirs["orderId"] != first["orderId"]


def test_a_reused_key_with_other_lines_is_a_conflict(api: Api) -> None:
    customer = create_customer(api)
    product = create_product(api, stock=10)
    place_order(api, customer["customerId"], [(product["productId"], 2)], key="k-2")
    body = api.query(PLACE_ORDER, {"input": order_input(customer["customerId"], [(product["productId"], 3)], "k-2")})
    assert error_of(body)["extensions"] == {"code": "CONFLICT", "field": "idempotencyKey"}
    assert stock_of(api, product["productId"]) == 8


def _set_status(api: Api, order: dict, status: str) -> dict:  # type: ignore[type-arg]
    return api.query(
        UPDATE_ORDER_STATUS,
        {"input": {"orderId": order["orderId"], "status": status, "expectedVersion": order["version"]}},
    )


def test_the_happy_path_of_an_order(api: Api) -> None:
    order = place_order(api, create_customer(api)["customerId"], [(create_product(api)["productId"], 1)])
    for status in ("PAID", "SHIPPED", "DELIVERED"):
        order = _set_status(api, order, status)["data"]["updateOrderStatus"]
        assert order["status"] == status
    assert order["version"] == 4
    listed = api.data_of("{ ordersByStatus(status: DELIVERED, first: 100) { edges { node { orderId } } } }")
    assert {"node": {"orderId": order["orderId"]}} in listed["ordersByStatus"]["edges"]


ALLOWED = {
    ("PENDING", "PAID"),
    ("PAID", "SHIPPED"),
    ("SHIPPED", "DELIVERED"),
    ("PENDING", "CANCELLED"),
    ("PAID", "CANCELLED"),
}
STATUSES = ("PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED")
PATH_TO = {
    "PENDING": [],
    "PAID": ["PAID"],
    "SHIPPED": ["PAID", "SHIPPED"],
    "DELIVERED": ["PAID", "SHIPPED", "DELIVERED"],
    "CANCELLED": ["CANCELLED"],
}


@pytest.mark.parametrize("start", STATUSES)
def test_every_invalid_transition_is_rejected(api: Api, start: str) -> None:
    customer = create_customer(api)
    product = create_product(api)
    order = place_order(api, customer["customerId"], [(product["productId"], 1)])
    for status in PATH_TO[start]:
        order = _set_status(api, order, status)["data"]["updateOrderStatus"]
    for target in STATUSES:
        if (start, target) in ALLOWED:
            continue
        error = error_of(_set_status(api, order, target))
        assert error["extensions"] == {"code": "INVALID_TRANSITION", "currentStatus": start}, (start, target)
    if start not in ("PENDING", "PAID"):
        error = error_of(api.query(CANCEL_ORDER, {"id": order["orderId"], "v": order["version"]}))
        assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert api.data_of(GET_ORDER, {"id": order["orderId"]})["order"]["status"] == start


@pytest.mark.parametrize("how", ["cancelOrder", "updateOrderStatus"])
def test_cancel_restores_stock_atomically(api: Api, how: str) -> None:
    customer = create_customer(api)
    a, b = create_product(api, stock=10), create_product(api, stock=4)
    order = place_order(api, customer["customerId"], [(a["productId"], 3), (b["productId"], 4)])
    order = _set_status(api, order, "PAID")["data"]["updateOrderStatus"]
    assert stock_of(api, a["productId"]) == 7
    assert stock_of(api, b["productId"]) == 0
    if how == "cancelOrder":
        cancelled = api.data_of(CANCEL_ORDER, {"id": order["orderId"], "v": order["version"]})["cancelOrder"]
    else:
        cancelled = _set_status(api, order, "CANCELLED")["data"]["updateOrderStatus"]
    assert cancelled["status"] == "CANCELLED"
    assert cancelled["version"] == 3
    assert stock_of(api, a["productId"]) == 10
    assert stock_of(api, b["productId"]) == 4
    error = error_of(api.query(CANCEL_ORDER, {"id": order["orderId"], "v": 3}))
    assert error["extensions"]["code"] == "INVALID_TRANSITION"
    assert stock_of(api, a["productId"]) == 10


def test_a_stale_status_change_is_a_version_mismatch(api: Api) -> None:
    order = place_order(api, create_customer(api)["customerId"], [(create_product(api)["productId"], 1)])
    _set_status(api, order, "PAID")
    error = error_of(_set_status(api, order, "CANCELLED"))
    assert error["extensions"] == {"code": "VERSION_MISMATCH", "currentVersion": 2}


def test_mutations_on_missing_orders_are_not_found(api: Api) -> None:
    missing = {"orderId": "ord_" + "b" * 32, "version": 1}
    assert error_of(_set_status(api, missing, "PAID"))["extensions"]["code"] == "NOT_FOUND"
    body = api.query(CANCEL_ORDER, {"id": missing["orderId"], "v": 1})
    assert error_of(body)["extensions"]["code"] == "NOT_FOUND"


def test_the_request_budget_holds_on_data_created_through_mutations(api: Api) -> None:
    customer = create_customer(api)
    products = [create_product(api, stock=5)["productId"] for _ in range(60)]
    for number in range(20):
        place_order(api, customer["customerId"], [(products[number * 3 + k], 1) for k in range(3)])
    response = api.post(CANONICAL, {"id": customer["customerId"]})
    orders = response.json()["data"]["customer"]["orders"]["edges"]
    assert len(orders) == 20
    assert sum(len(edge["node"]["items"]) for edge in orders) == 60
    assert response.headers["x-dynamodb-requests"] == "4"
    assert api.data_of(GET_CUSTOMER, {"id": customer["customerId"]})["customer"]["orderCount"] == 20


def test_placing_costs_two_requests_and_a_replay_one(api: Api) -> None:
    customer = create_customer(api)
    product = create_product(api, stock=10)
    for key in (None, "cost-1"):
        response = api.post(
            PLACE_ORDER, {"input": order_input(customer["customerId"], [(product["productId"], 1)], key)}
        )
        assert "errors" not in response.json()
        # one BatchGetItem (customer, products and, with a key, the order a replay would find), one
        # transaction; the answer's items are the ones just written, not read again
        assert response.headers["x-dynamodb-requests"] == "2", key
    replay = api.post(
        PLACE_ORDER, {"input": order_input(customer["customerId"], [(product["productId"], 1)], "cost-1")}
    )
    assert replay.json()["data"]["placeOrder"]["items"][0]["quantity"] == 1
    # the order found in the first BatchGetItem, then its items (the answer asks for them)
    assert replay.headers["x-dynamodb-requests"] == "2"
