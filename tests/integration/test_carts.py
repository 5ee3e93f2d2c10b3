"""Carts (AP12) on both backends: lines added, changed and removed through `setCartLine`, read through `me.cart`,
their limits and bad input writing nothing, who may touch a cart, the time to live, a line whose product is gone."""

from __future__ import annotations

import asyncio
import time
import uuid
from decimal import Decimal
from typing import Any

import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_value
from graphql_api.repositories import carts
from graphql_api.repositories.order_items import MAX_LINES as MAX_ORDER_LINES
from graphql_api.repositories.products import PRODUCTS
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.operations import create_product, stock_of
from tests.support import Api, outcomes, post_concurrently, run_with_dynamo, snapshot

CREATE_CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId version } }"
CART = "{ itemCount subtotal lines { productId quantity addedAt lineTotal product { productId name price } } }"
SET_LINE = "mutation($p: ID!, $q: Int!) { setCartLine(productId: $p, quantity: $q) " + CART + " }"
CLEAR = "mutation { clearCart }"
MY_CART = "{ me { customerId cart " + CART + " } }"
THIRTY_DAYS = 30 * 24 * 3600
FROM_CART = """mutation($k: String) { placeOrder(input: {fromCart: true, idempotencyKey: $k}) {
  orderId total itemCount items { productId quantity unitPrice } } }"""


def signed_up(api: Api) -> dict[str, str]:
    """A new identity with its own customer: its Authorization header."""
    headers = bearer(shared_issuer().token(f"cart-{uuid.uuid4().hex[:10]}"))
    api.data_of(CREATE_CUSTOMER, {"i": {"email": f"{uuid.uuid4().hex[:10]}@example.com", "name": "Shopper"}}, headers)
    return headers


def my_cart(api: Api, headers: dict[str, str]) -> dict[str, Any]:
    cart: dict[str, Any] = api.data_of(MY_CART, {}, headers)["me"]["cart"]
    return cart


def set_line(api: Api, headers: dict[str, str], product_id: str, quantity: int) -> dict[str, Any]:
    return api.query(SET_LINE, {"p": product_id, "q": quantity}, headers)


def stored_lines(api: Api, customer_id: str) -> list[dict[str, Any]]:
    """The customer's CartItems as stored."""
    return [item for item in snapshot(api.settings)["CartItems"] if item["CustomerId"] == customer_id]


def test_lines_are_added_changed_and_removed(api: Api) -> None:
    headers = signed_up(api)
    first, second = create_product(api, price="2.50"), create_product(api, price="10.00")
    assert my_cart(api, headers) == {"itemCount": 0, "subtotal": "0.00", "lines": []}

    added = set_line(api, headers, first["productId"], 2)["data"]["setCartLine"]
    assert added["itemCount"] == 1
    assert Decimal(added["subtotal"]) == Decimal("5.00")
    set_line(api, headers, second["productId"], 1)
    cart = my_cart(api, headers)
    assert cart["itemCount"] == 2
    assert Decimal(cart["subtotal"]) == Decimal("15.00")
    by_product = {line["productId"]: line for line in cart["lines"]}
    assert by_product[first["productId"]]["quantity"] == 2
    assert Decimal(by_product[first["productId"]]["lineTotal"]) == Decimal("5.00")
    assert by_product[second["productId"]]["product"]["productId"] == second["productId"]

    changed = set_line(api, headers, first["productId"], 7)["data"]["setCartLine"]
    line = next(line for line in changed["lines"] if line["productId"] == first["productId"])
    assert line["quantity"] == 7
    assert line["addedAt"] == by_product[first["productId"]]["addedAt"]  # first added, not last changed
    assert my_cart(api, headers)["lines"] == changed["lines"]

    removed = set_line(api, headers, second["productId"], 0)["data"]["setCartLine"]
    assert [line["productId"] for line in removed["lines"]] == [first["productId"]]
    assert Decimal(removed["subtotal"]) == Decimal("17.50")
    assert my_cart(api, headers) == removed

    assert api.data_of(CLEAR, {}, headers) == {"clearCart": True}
    assert my_cart(api, headers)["lines"] == []


@pytest.mark.parametrize(("quantity", "field"), [(-1, "quantity"), (1001, "quantity")])
def test_a_quantity_out_of_range_names_the_field_and_writes_nothing(api: Api, quantity: int, field: str) -> None:
    headers = signed_up(api)
    product = create_product(api)["productId"]
    set_line(api, headers, product, 1)
    before = snapshot(api.settings)
    response = api.post(SET_LINE, {"p": product, "q": quantity}, headers)
    error = response.json()["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": field}, error
    assert response.headers["x-dynamodb-requests"] == "0"
    assert snapshot(api.settings) == before


def test_quantity_zero_on_an_absent_line_writes_nothing(api: Api) -> None:
    headers = signed_up(api)
    kept, absent = create_product(api)["productId"], create_product(api)["productId"]
    set_line(api, headers, kept, 3)
    before = snapshot(api.settings)
    cart = set_line(api, headers, absent, 0)["data"]["setCartLine"]
    assert [(line["productId"], line["quantity"]) for line in cart["lines"]] == [(kept, 3)]
    assert snapshot(api.settings) == before


def test_the_fifty_first_line_is_refused_and_writes_nothing(api: Api) -> None:
    headers = signed_up(api)
    products = [create_product(api)["productId"] for _ in range(carts.MAX_LINES + 1)]
    for product in products[: carts.MAX_LINES]:
        assert "errors" not in set_line(api, headers, product, 1)
    before = snapshot(api.settings)
    refused = set_line(api, headers, products[-1], 1)
    assert refused["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "productId"}, refused
    assert snapshot(api.settings) == before
    # A line already there still changes, and one removed makes room.
    assert set_line(api, headers, products[0], 4)["data"]["setCartLine"]["itemCount"] == carts.MAX_LINES
    set_line(api, headers, products[1], 0)
    assert set_line(api, headers, products[-1], 1)["data"]["setCartLine"]["itemCount"] == carts.MAX_LINES


def test_a_product_that_does_not_exist_is_not_found_and_nothing_is_written(api: Api) -> None:
    headers = signed_up(api)
    before = snapshot(api.settings)
    missing = set_line(api, headers, PRODUCTS.new_id(), 1)
    assert missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "productId"}, missing
    assert snapshot(api.settings) == before


def test_only_a_customer_changes_a_cart_and_only_their_own(api: Api) -> None:
    product = create_product(api)["productId"]
    a, b = signed_up(api), signed_up(api)
    set_line(api, a, product, 2)
    set_line(api, b, product, 5)
    assert [line["quantity"] for line in my_cart(api, a)["lines"]] == [2]  # B's change is B's cart's
    before = snapshot(api.settings)
    staff = bearer(shared_issuer().token("cart-staff", ("staff",)))
    for headers, code in ((staff, "FORBIDDEN"), (admin_headers(), "FORBIDDEN"), ({}, "UNAUTHENTICATED")):
        for query, variables in ((SET_LINE, {"p": product, "q": 1}), (CLEAR, {})):
            body = api.query(query, variables, headers)
            assert body["errors"][0]["extensions"]["code"] == code, (headers, body)
    nobody = bearer(shared_issuer().token(f"no-customer-{uuid.uuid4().hex[:8]}"))
    assert set_line(api, nobody, product, 1)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert snapshot(api.settings) == before
    # A customer reaches no other customer's cart: B's customer reads as null to A.
    b_id = api.data_of("{ me { customerId } }", {}, b)["me"]["customerId"]
    other = api.data_of("query($c: ID!) { customer(customerId: $c) { cart { itemCount } } }", {"c": b_id}, a)
    assert other == {"customer": None}
    # Staff may read a customer, not its cart.
    refused = api.query("query($c: ID!) { customer(customerId: $c) { cart { itemCount } } }", {"c": b_id}, staff)
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused


def test_expires_at_is_thirty_days_after_every_change(api: Api) -> None:
    headers = signed_up(api)
    customer_id = api.data_of("{ me { customerId } }", {}, headers)["me"]["customerId"]
    product = create_product(api)["productId"]
    for quantity in (1, 3):
        set_line(api, headers, product, quantity)
        (line,) = stored_lines(api, customer_id)
        assert line["Quantity"] == quantity
        # Within a minute of 30 days from now (the machine is shared and slow).
        assert abs(int(line["ExpiresAt"]) - (time.time() + THIRTY_DAYS)) < 60, line


def test_a_line_whose_product_is_gone_reads_null_and_the_subtotal_is_over_the_rest(api: Api) -> None:
    headers = signed_up(api)
    kept, gone = create_product(api, price="4.00")["productId"], create_product(api, price="9.00")["productId"]
    set_line(api, headers, kept, 2)
    set_line(api, headers, gone, 1)

    delete_product(api, gone)
    cart = my_cart(api, headers)
    by_product = {line["productId"]: line for line in cart["lines"]}
    assert by_product[gone]["product"] is None
    assert by_product[gone]["lineTotal"] is None
    assert by_product[gone]["quantity"] == 1
    assert Decimal(by_product[kept]["lineTotal"]) == Decimal("8.00")
    assert cart["itemCount"] == 2
    assert Decimal(cart["subtotal"]) == Decimal("8.00")


def delete_product(api: Api, product_id: str) -> None:
    """There is no deleteProduct mutation: the item goes directly."""

    async def delete(dynamo: Dynamo) -> None:
        key = {PRODUCTS.table.hash_key.name: serialize_value(product_id)}
        await dynamo.call("delete_item", TableName=PRODUCTS.table.physical_name(dynamo.table_prefix), Key=key)

    run_with_dynamo(api.settings, delete)


def test_deleting_a_customer_empties_its_cart(api: Api) -> None:
    headers = signed_up(api)
    me = api.data_of("{ me { customerId version } }", {}, headers)["me"]
    set_line(api, headers, create_product(api)["productId"], 1)
    assert len(stored_lines(api, me["customerId"])) == 1
    deleted = api.data_of(
        "mutation($c: ID!, $v: Int!) { deleteCustomer(customerId: $c, expectedVersion: $v) }",
        {"c": me["customerId"], "v": me["version"]},
        headers,
    )
    assert deleted == {"deleteCustomer": True}
    assert stored_lines(api, me["customerId"]) == []


def test_a_cart_with_its_products_is_three_requests_within_its_estimate(api: Api) -> None:
    headers = signed_up(api)
    for _ in range(3):
        set_line(api, headers, create_product(api)["productId"], 1)
    response = api.post(MY_CART, {}, headers)
    assert "errors" not in response.json(), response.json()
    # me (a load by key), the cart (one Query), its products (one BatchGetItem shared by every total).
    assert response.headers["x-dynamodb-requests"] == "3"
    assert int(response.headers["x-estimated-dynamodb-requests"]) >= 3


def orders_of(api: Api, customer_id: str) -> list[dict[str, Any]]:
    return [order for order in snapshot(api.settings)["Orders"] if order["CustomerId"] == customer_id]


def test_placing_the_cart_makes_its_lines_the_order_and_empties_it(api: Api) -> None:
    headers = signed_up(api)
    customer_id = api.data_of("{ me { customerId } }", {}, headers)["me"]["customerId"]
    first, second = create_product(api, price="3.00", stock=10), create_product(api, price="5.00", stock=10)
    set_line(api, headers, first["productId"], 2)
    set_line(api, headers, second["productId"], 1)
    order = api.data_of(FROM_CART, {"k": None}, headers)["placeOrder"]
    assert order["itemCount"] == 2
    assert Decimal(order["total"]) == Decimal("11.00")
    assert sorted((item["productId"], item["quantity"]) for item in order["items"]) == sorted(
        [(first["productId"], 2), (second["productId"], 1)]
    )
    assert my_cart(api, headers)["lines"] == []
    assert stored_lines(api, customer_id) == []
    assert (stock_of(api, first["productId"]), stock_of(api, second["productId"])) == (8, 9)


def test_an_empty_cart_or_one_over_an_orders_lines_is_refused_writing_nothing(api: Api) -> None:
    headers = signed_up(api)
    before = snapshot(api.settings)
    empty = api.query(FROM_CART, {"k": "empty-1"}, headers)
    assert empty["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "fromCart"}, empty
    assert snapshot(api.settings) == before
    for _ in range(MAX_ORDER_LINES + 1):
        set_line(api, headers, create_product(api)["productId"], 1)
    before = snapshot(api.settings)
    over = api.query(FROM_CART, {"k": None}, headers)
    assert over["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "fromCart"}, over
    assert str(MAX_ORDER_LINES) in over["errors"][0]["message"]
    assert snapshot(api.settings) == before
    both = api.query(
        "mutation($p: ID!) { placeOrder(input: {fromCart: true, items: [{productId: $p, quantity: 1}]}) { orderId } }",
        {"p": create_product(api)["productId"]},
        headers,
    )
    assert both["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT", both


def test_staff_cannot_place_a_cart(api: Api) -> None:
    headers = signed_up(api)
    customer_id = api.data_of("{ me { customerId } }", {}, headers)["me"]["customerId"]
    set_line(api, headers, create_product(api)["productId"], 1)
    before = snapshot(api.settings)
    refused = api.query(
        "mutation($c: ID!) { placeOrder(input: {fromCart: true, customerId: $c}) { orderId } }", {"c": customer_id}
    )
    assert refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", refused
    assert snapshot(api.settings) == before


def test_a_cart_line_whose_product_is_gone_fails_the_checkout_naming_it_and_writing_nothing(api: Api) -> None:
    headers = signed_up(api)
    kept, gone = create_product(api)["productId"], create_product(api)["productId"]
    set_line(api, headers, kept, 1)
    set_line(api, headers, gone, 1)
    delete_product(api, gone)
    before = snapshot(api.settings)
    failed = api.query(FROM_CART, {"k": "gone-1"}, headers)
    error = failed["errors"][0]
    assert error["extensions"]["code"] == "NOT_FOUND", failed
    assert gone in error["message"]
    assert snapshot(api.settings) == before


@pytest.mark.parametrize("same_key", [True, False], ids=["same-key", "different-keys"])
def test_twenty_concurrent_checkouts_of_one_cart_place_it_once(api: Api, live_url: str, same_key: bool) -> None:
    headers = signed_up(api)
    customer_id = api.data_of("{ me { customerId } }", {}, headers)["me"]["customerId"]
    products = [create_product(api, stock=100)["productId"] for _ in range(3)]
    for quantity, product in enumerate(products, start=1):
        set_line(api, headers, product, quantity)
    keys = ["same"] * 20 if same_key else [f"key-{n}" for n in range(20)]
    bodies = [{"query": FROM_CART, "variables": {"k": key}} for key in keys]
    results = asyncio.run(post_concurrently(live_url, bodies, headers))

    placed = {body["data"]["placeOrder"]["orderId"] for body in results if not body.get("errors")}
    assert len(placed) == 1, outcomes(results)  # one order, whatever the keys
    assert [order["OrderId"] for order in orders_of(api, customer_id)] == list(placed)
    if same_key:
        assert outcomes(results) == {"ok": 20}  # every replay answers with the one order
    else:
        # The others find the cart taken (changed under them) or already empty.
        assert outcomes(results)["ok"] == 1
        assert set(outcomes(results)) <= {"ok", "CONFLICT", "BAD_USER_INPUT"}, outcomes(results)
    assert [stock_of(api, product) for product in products] == [99, 98, 97]
    assert stored_lines(api, customer_id) == []
