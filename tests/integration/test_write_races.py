"""Races, done for real: concurrent HTTP requests to the service under uvicorn, on both backends."""

from __future__ import annotations

import asyncio
import uuid

from graphql_api.auth.identity import subject_of
from tests.issuer import bearer, shared_issuer
from tests.operations import (
    CREATE_CUSTOMER,
    GET_CUSTOMER,
    PLACE_ORDER,
    UPDATE_PRODUCT,
    create_customer,
    create_product,
    customer_input,
    order_input,
    stock_of,
    unique_email,
)
from tests.support import Api, outcomes, post_concurrently, snapshot


def test_fifty_orders_for_ten_items_sell_exactly_ten(api: Api, live_url: str) -> None:
    product = create_product(api, stock=10)
    customers = [create_customer(api)["customerId"] for _ in range(5)]
    bodies = [
        {"query": PLACE_ORDER, "variables": {"input": order_input(customers[n % 5], [(product["productId"], 1)])}}
        for n in range(50)
    ]
    results = asyncio.run(post_concurrently(live_url, bodies))
    assert outcomes(results) == {"ok": 10, "OUT_OF_STOCK": 40}
    assert stock_of(api, product["productId"]) == 0
    tables = snapshot(api.settings)
    orders = {o["OrderId"] for o in tables["Orders"]}
    lines = [line for line in tables["OrderItems"] if line["ProductId"] == product["productId"]]
    assert len(lines) == 10
    assert all(line["OrderId"] in orders for line in lines)
    placed = {body["data"]["placeOrder"]["orderId"] for body in results if not body.get("errors")}
    assert placed == {line["OrderId"] for line in lines}
    counts = sum(api.data_of(GET_CUSTOMER, {"id": c})["customer"]["orderCount"] for c in customers)
    assert counts == 10


def test_twenty_sign_ups_with_one_email_in_different_cases_make_one_customer(api: Api, live_url: str) -> None:
    email = unique_email("race")
    variants = ["".join(ch.upper() if (n >> (i % 8)) & 1 else ch for i, ch in enumerate(email)) for n in range(20)]
    bodies = [{"query": CREATE_CUSTOMER, "variables": {"input": customer_input(email=v)}} for v in variants]
    results = asyncio.run(post_concurrently(live_url, bodies))
    assert outcomes(results) == {"ok": 1, "CONFLICT": 19}
    tables = snapshot(api.settings)
    assert [c["Email"] for c in tables["Customers"]].count(email) == 1
    assert [g["Email"] for g in tables["CustomerEmails"]].count(email) == 1


def test_one_idempotency_key_sent_ten_times_at_once_places_one_order(api: Api, live_url: str) -> None:
    customer = create_customer(api)
    product = create_product(api, stock=10)
    body = {
        "query": PLACE_ORDER,
        "variables": {"input": order_input(customer["customerId"], [(product["productId"], 3)], "pay-once")},
    }
    results = asyncio.run(post_concurrently(live_url, [body] * 10))
    assert outcomes(results) == {"ok": 10}
    assert len({r["data"]["placeOrder"]["orderId"] for r in results}) == 1
    assert stock_of(api, product["productId"]) == 7
    assert api.data_of(GET_CUSTOMER, {"id": customer["customerId"]})["customer"]["orderCount"] == 1


def test_two_updates_with_the_same_expected_version_one_wins(api: Api, live_url: str) -> None:
    product = create_product(api, stock=1)
    bodies = [
        {
            "query": UPDATE_PRODUCT,
            "variables": {"input": {"productId": product["productId"], "expectedVersion": 1, "stock": stock}},
        }
        for stock in (100, 200)
    ]
    results = asyncio.run(post_concurrently(live_url, bodies))
    assert outcomes(results) == {"ok": 1, "VERSION_MISMATCH": 1}
    winner = next(r["data"]["updateProduct"] for r in results if not r.get("errors"))
    loser = next(r["errors"][0] for r in results if r.get("errors"))
    assert loser["extensions"]["currentVersion"] == 2
    assert stock_of(api, product["productId"]) == winner["stock"]


def test_twenty_sign_ups_with_one_token_bind_exactly_one_customer(api: Api, live_url: str) -> None:
    """One identity, 20 concurrent createCustomer (different emails): one customer, bound, and `me` is it."""
    sub = f"racer-{uuid.uuid4().hex[:8]}"
    headers = bearer(shared_issuer().token(sub))
    inputs = [customer_input() for _ in range(20)]
    bodies = [{"query": CREATE_CUSTOMER, "variables": {"input": one}} for one in inputs]
    results = asyncio.run(post_concurrently(live_url, bodies, headers=headers))
    assert outcomes(results) == {"ok": 1, "CONFLICT": 19}
    created = next(body["data"]["createCustomer"] for body in results if not body.get("errors"))
    me = api.data_of("{ me { customerId email } }", headers=headers)["me"]
    assert me == {"customerId": created["customerId"], "email": created["email"]}
    tables = snapshot(api.settings)
    subject = subject_of(shared_issuer().url, sub)
    assert [c["CustomerId"] for c in tables["Customers"] if c.get("Subject") == subject] == [created["customerId"]]
    # The 19 losers reserved no email: only the winner's guard exists among the 20 emails tried.
    tried = {one["email"] for one in inputs}
    assert {g["Email"] for g in tables["CustomerEmails"] if g["Email"] in tried} == {created["email"]}
