"""A write whose answer is lost to a read timeout tells the truth after botocore's retry, on both backends.

The service talks to DynamoDB through `tests.faults.proxy.FaultProxy` with a short read timeout
(READ_TIMEOUT). The proxy forwards a mutation's first DynamoDB write at once (DynamoDB applies it)
and holds the answer HELD seconds: the client times out, botocore retries the write (a
`ReadTimeoutError` is retryable), and the retry finds its own earlier write applied. Every mutation
must answer what happened (success, with the stored state showing the write exactly once), never
VERSION_MISMATCH, CONFLICT, INVALID_TRANSITION or NOT_FOUND; and a write refused for a genuinely
stale version is still refused when its answer comes late too.

Set-up goes straight to the backend (`setup`, the suite's generous timeout), so only the mutation
under test runs at the short read timeout.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Action, Transaction
from graphql_api.errors import VersionMismatch
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories._writes import get, put_new, stale, versioned_update
from graphql_api.repositories.products import PRODUCTS, Product
from tests import fixtures_data
from tests.faults.proxy import WRITE_OPERATIONS, Counts, FaultProxy
from tests.issuer import bearer, shared_issuer
from tests.operations import (
    CANCEL_ORDER,
    CREATE_CUSTOMER,
    CREATE_PRODUCT,
    DELETE_CUSTOMER,
    PLACE_ORDER,
    UPDATE_CUSTOMER,
    UPDATE_ORDER_STATUS,
    UPDATE_PRODUCT,
    create_customer,
    create_product,
    customer_input,
    order_input,
    place_order,
    product_input,
    unique_email,
)
from tests.support import Api, fresh_settings, run_with_dynamo, snapshot

READ_TIMEOUT = 1.0
HELD = 3.0
"""How long the proxy holds the answer: three times the read timeout, so a slow machine still times out."""
UNTRUE = frozenset({"VERSION_MISMATCH", "CONFLICT", "INVALID_TRANSITION", "NOT_FOUND"})

CREATE_REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { reviewId productId rating } }"
DELETE_REVIEW = "mutation($p: ID!, $r: ID!) { deleteReview(productId: $p, reviewId: $r) }"
PRODUCT_AGGREGATES = "query($id: ID!) { product(productId: $id) { reviewCount averageRating version } }"


@dataclass
class Late:
    proxy: FaultProxy
    setup: Api
    """Straight to the backend: set-up and checks."""
    under_test: Api
    """Through the proxy, at READ_TIMEOUT."""
    backend: str

    def answered_late(self, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> Any:
        """The mutation's data, its first write answered HELD s late; asserts it was retried and told the truth."""
        self.proxy.reset()
        self.proxy.late(count=1, seconds=HELD)
        started = time.monotonic()
        body = self.under_test.query(query, variables, headers)
        seconds = time.monotonic() - started
        counts = self.proxy.reset()
        self.proxy.late(count=0)
        writes = _writes(counts)
        name = query.split("{", 2)[1].split("(")[0].strip()
        print(f"\n[{self.backend}] {name} answered {HELD} s late: {_outcome(body)} in {seconds:.1f} s; writes={writes}")
        assert counts.late == 1, "no write was answered late"
        assert writes >= 2, f"the write answered late was not retried: {dict(counts.by_operation)}"
        told = {error["extensions"]["code"] for error in body.get("errors") or []}
        assert not told & UNTRUE, f"a write that happened was reported as {sorted(told)}: {body['errors']}"
        assert not body.get("errors"), body["errors"]
        return body["data"]


def _writes(counts: Counts) -> int:
    return sum(counts.by_operation[operation] for operation in WRITE_OPERATIONS)


def _outcome(body: dict[str, Any]) -> str:
    codes = sorted({error["extensions"]["code"] for error in body.get("errors") or []})
    return ",".join(codes) or "success"


@pytest.fixture(scope="module")
def late_module(endpoint: str, test_data: fixtures_data.TestData) -> Iterator[Late]:
    direct = fresh_settings(endpoint)
    run_with_dynamo(direct, create_tables)
    with FaultProxy(endpoint) as proxy:
        proxied = direct.with_endpoint(proxy.url).replace(dynamodb_read_timeout=READ_TIMEOUT, dynamodb_max_attempts=3)
        with TestClient(create_app(direct)) as setup, TestClient(create_app(proxied)) as under_test:
            yield Late(
                proxy,
                Api(client=setup, settings=direct, data=test_data),
                Api(client=under_test, settings=proxied, data=test_data),
                backend="?",
            )


@pytest.fixture
def late(late_module: Late, request: pytest.FixtureRequest) -> Late:
    late_module.backend = request.node.callspec.params["endpoint"]
    return late_module


def _items(late: Late, table: str, **match: Any) -> list[dict[str, Any]]:
    return [item for item in snapshot(late.setup.settings)[table] if all(item.get(k) == v for k, v in match.items())]


def _signed_up(late: Late) -> tuple[dict[str, str], str]:
    """A new identity with its own customer: its Authorization header and customer id."""
    headers = bearer(shared_issuer().token(f"late-{uuid.uuid4().hex[:10]}"))
    created = late.setup.data_of(CREATE_CUSTOMER, {"input": customer_input()}, headers)["createCustomer"]
    return headers, created["customerId"]


def test_create_customer(late: Late) -> None:
    email = unique_email("late")
    created = late.answered_late(CREATE_CUSTOMER, {"input": customer_input(email=email)})["createCustomer"]
    assert [c["CustomerId"] for c in _items(late, "Customers", Email=email)] == [created["customerId"]]
    assert [g["CustomerId"] for g in _items(late, "CustomerEmails", Email=email)] == [created["customerId"]]


def test_update_customer_name(late: Late) -> None:
    customer = create_customer(late.setup)
    changes = {"customerId": customer["customerId"], "expectedVersion": 1, "name": "Late Renamed"}
    updated = late.answered_late(UPDATE_CUSTOMER, {"input": changes})["updateCustomer"]
    assert (updated["name"], updated["version"]) == ("Late Renamed", 2)
    (stored,) = _items(late, "Customers", CustomerId=customer["customerId"])
    assert (stored["Name"], stored["Version"]) == ("Late Renamed", 2)


def test_update_customer_email(late: Late) -> None:
    """A new email moves the guard: a transaction of three actions."""
    customer = create_customer(late.setup)
    email = unique_email("moved")
    changes = {"customerId": customer["customerId"], "expectedVersion": 1, "email": email}
    updated = late.answered_late(UPDATE_CUSTOMER, {"input": changes})["updateCustomer"]
    assert (updated["email"], updated["version"]) == (email, 2)
    assert [g["CustomerId"] for g in _items(late, "CustomerEmails", Email=email)] == [customer["customerId"]]
    assert _items(late, "CustomerEmails", Email=customer["email"]) == []


def test_delete_customer(late: Late) -> None:
    customer = create_customer(late.setup)
    deleted = late.answered_late(DELETE_CUSTOMER, {"id": customer["customerId"], "v": 1})["deleteCustomer"]
    assert deleted is True
    assert _items(late, "Customers", CustomerId=customer["customerId"]) == []
    assert _items(late, "CustomerEmails", Email=customer["email"]) == []


def test_create_product(late: Late) -> None:
    name = f"Late {uuid.uuid4().hex[:8]}"
    created = late.answered_late(CREATE_PRODUCT, {"input": product_input(name=name)})["createProduct"]
    assert [p["ProductId"] for p in _items(late, "Products", Name=name)] == [created["productId"]]


def test_update_product(late: Late) -> None:
    """The measured case: the new price was stored, and the caller was told VERSION_MISMATCH."""
    product = create_product(late.setup, price="10.00")
    changes = {"productId": product["productId"], "expectedVersion": 1, "price": "12.50"}
    updated = late.answered_late(UPDATE_PRODUCT, {"input": changes})["updateProduct"]
    assert (updated["price"], updated["version"]) == ("12.50", 2)
    (stored,) = _items(late, "Products", ProductId=product["productId"])
    assert (stored["Price"], stored["Version"]) == (Decimal("12.50"), 2)


def test_place_order_without_an_idempotency_key(late: Late) -> None:
    customer = create_customer(late.setup)["customerId"]
    product = create_product(late.setup, stock=10)["productId"]
    placed = late.answered_late(PLACE_ORDER, {"input": order_input(customer, [(product, 3)])})["placeOrder"]
    assert [o["OrderId"] for o in _items(late, "Orders", CustomerId=customer)] == [placed["orderId"]]
    assert _items(late, "Products", ProductId=product)[0]["Stock"] == 7
    assert _items(late, "Customers", CustomerId=customer)[0]["OrderCount"] == 1


def test_update_order_status(late: Late) -> None:
    customer = create_customer(late.setup)["customerId"]
    order = place_order(late.setup, customer, [(create_product(late.setup)["productId"], 1)])
    change = {"orderId": order["orderId"], "status": "PAID", "expectedVersion": 1}
    updated = late.answered_late(UPDATE_ORDER_STATUS, {"input": change})["updateOrderStatus"]
    assert (updated["status"], updated["version"]) == ("PAID", 2)
    (stored,) = _items(late, "Orders", OrderId=order["orderId"])
    assert (stored["Status"], stored["Version"]) == ("PAID", 2)


def test_cancel_order(late: Late) -> None:
    customer = create_customer(late.setup)["customerId"]
    product = create_product(late.setup, stock=10)["productId"]
    order = place_order(late.setup, customer, [(product, 4)])
    cancelled = late.answered_late(CANCEL_ORDER, {"id": order["orderId"], "v": 1})["cancelOrder"]
    assert (cancelled["status"], cancelled["version"]) == ("CANCELLED", 2)
    assert _items(late, "Products", ProductId=product)[0]["Stock"] == 10  # given back once
    assert _items(late, "Orders", OrderId=order["orderId"])[0]["Status"] == "CANCELLED"


def test_create_review(late: Late) -> None:
    headers, customer = _signed_up(late)
    product = create_product(late.setup)["productId"]
    review = {"productId": product, "rating": 4, "title": "Late", "body": "Answered late."}
    created = late.answered_late(CREATE_REVIEW, {"i": review}, headers)["createReview"]
    assert [r["ReviewId"] for r in _items(late, "Reviews", ProductId=product)] == [created["reviewId"]]
    shown = late.setup.data_of(PRODUCT_AGGREGATES, {"id": product})["product"]
    assert (shown["reviewCount"], shown["averageRating"], shown["version"]) == (1, "4.00", 2)
    assert [g["CustomerId"] for g in _items(late, "ProductReviewers", ProductId=product)] == [customer]


def test_delete_review(late: Late) -> None:
    headers, _ = _signed_up(late)
    product = create_product(late.setup)["productId"]
    review = {"productId": product, "rating": 2, "title": "Late", "body": "Deleted late."}
    created = late.setup.data_of(CREATE_REVIEW, {"i": review}, headers)["createReview"]
    deleted = late.answered_late(DELETE_REVIEW, {"p": product, "r": created["reviewId"]}, headers)["deleteReview"]
    assert deleted is True
    assert _items(late, "Reviews", ProductId=product) == []
    assert _items(late, "ProductReviewers", ProductId=product) == []
    shown = late.setup.data_of(PRODUCT_AGGREGATES, {"id": product})["product"]
    assert (shown["reviewCount"], shown["version"]) == (0, 3)  # taken back once


def test_a_stale_version_is_still_version_mismatch(late: Late) -> None:
    product = create_product(late.setup, price="10.00")
    moved = {"productId": product["productId"], "expectedVersion": 1, "price": "11.00"}
    late.setup.data_of(UPDATE_PRODUCT, {"input": moved})
    late.proxy.late(count=1, seconds=HELD)
    body = late.under_test.query(UPDATE_PRODUCT, {"input": {**moved, "price": "99.00"}})
    late.proxy.late(count=0)
    assert [error["extensions"]["code"] for error in body["errors"]] == ["VERSION_MISMATCH"]
    assert _items(late, "Products", ProductId=product["productId"])[0]["Price"] == Decimal("11.00")


def _refused_late(late: Late, actions: Any) -> Counts:
    """The transaction of `actions` through the proxy, its first attempt answered late: must be refused as stale."""

    async def attempt(dynamo: Dynamo) -> None:
        await Transaction(dynamo).add(*actions()).commit()

    late.proxy.reset()
    late.proxy.late(count=1, seconds=HELD)
    with pytest.raises(VersionMismatch):
        run_with_dynamo(late.under_test.settings, attempt)
    late.proxy.late(count=0)
    counts = late.proxy.reset()
    assert counts.late == 1, dict(counts.by_operation)
    assert _writes(counts) >= 2, dict(counts.by_operation)
    return counts


def _moved_on(late: Late) -> Product:
    """A product already at version 2: a write expecting version 1 is genuinely stale."""
    product = create_product(late.setup, price="10.00")
    late.setup.data_of(UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 1, "stock": 5}})

    async def load(dynamo: Dynamo) -> Product | None:
        return await get(dynamo, PRODUCTS, PRODUCTS.key(product["productId"]))

    stored: Product | None = run_with_dynamo(late.setup.settings, load)
    assert stored is not None
    assert stored.version == 2
    return stored


def _stale_update(key: tuple[Any, ...]) -> Action:
    return versioned_update(
        PRODUCTS, key, at=now(), expected_version=1, set_fields={"stock": 1}, fails_with=stale("product", 1)
    )


def test_a_stale_single_write_answered_late_is_still_refused(late: Late) -> None:
    """The retry's condition fails, but the item does not show this write: refused, not taken as applied."""
    stored = _moved_on(late)
    key = PRODUCTS.key(stored.product_id)
    before = _items(late, "Products", ProductId=stored.product_id)
    _refused_late(
        late,
        lambda: [_stale_update(key)],
    )
    assert _items(late, "Products", ProductId=stored.product_id) == before


def test_a_stale_transaction_answered_late_is_still_refused(late: Late) -> None:
    stored = _moved_on(late)
    key = PRODUCTS.key(stored.product_id)
    before = snapshot(late.setup.settings)
    other = Product(**{**vars(stored), "product_id": f"prd_{uuid.uuid4().hex[:20]}", "version": 1})
    _refused_late(
        late,
        lambda: [_stale_update(key), put_new(PRODUCTS, other, fails_with=stale("product"))],
    )
    assert snapshot(late.setup.settings) == before
