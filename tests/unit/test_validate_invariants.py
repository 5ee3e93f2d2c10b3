"""The invariants that need a deleted parent (a customer with orders, a product with reviews), which the service
never lets happen: checked on tables built in memory from the demo data."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item
from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.validate import Tables, Violation, check, confirmed

DATA = demo_dataset()


def _seeded_items() -> dict[str, list[Item]]:
    """What `write_dataset` writes for the demo data, by table: the seed knows which tables hold what, so no
    table is listed here (an in-process stand-in for DynamoDB that keeps the batch writes)."""
    written: dict[str, list[Item]] = defaultdict(list)

    async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert operation == "batch_write_item", operation
        for table, requests in params["RequestItems"].items():
            written[table] += [deserialize_item(request["PutRequest"]["Item"]) for request in requests]
        return {}

    asyncio.run(write_dataset(Dynamo(call, ""), DATA))
    return dict(written)


SEEDED = _seeded_items()


def tables(**without: set[Any]) -> Tables:
    """The demo data as scanned items of every declared table, minus the items of the given tables whose key is
    in the set."""
    declared = {entity.table.name for entity in ALL_ENTITIES}
    assert set(SEEDED) <= declared, f"the seed writes undeclared tables: {sorted(set(SEEDED) - declared)}"
    assert set(without) <= declared, f"no such tables: {sorted(set(without) - declared)}"
    items = {
        entity: [
            item
            for item in SEEDED.get(entity.table.name, [])
            if tuple(item[name] for name in entity.table.key_names) not in without.get(entity.table.name, set())
        ]
        for entity in ALL_ENTITIES
    }
    return Tables(items)


def test_the_demo_data_keeps_every_invariant() -> None:
    assert check(tables()) == []


def test_orders_of_a_deleted_customer_are_reported_once_each() -> None:
    carts = {line.customer_id for line in DATA.carts}
    customer = next(c for c in DATA.customers if c.order_count and c.customer_id not in carts)
    found = check(tables(Customers={(customer.customer_id,)}, CustomerEmails={(customer.email,)}))
    orders = sorted(f"Orders(OrderId={o.order_id})" for o in DATA.orders if o.customer_id == customer.customer_id)
    assert sorted(v.keys[0] for v in found) == orders
    assert {v.invariant for v in found} == {"order-customer"}


def test_cart_lines_of_a_missing_customer_are_reported_by_the_declared_reference() -> None:
    # No code of validate names carts: the invariant is CartItems' declared customer reference.
    customer = DATA.customer(DATA.carts[0].customer_id)
    found = check(tables(Customers={(customer.customer_id,)}, CustomerEmails={(customer.email,)}))
    lines = sorted(
        f"CartItems(CustomerId={line.customer_id}, ProductId={line.product_id})"
        for line in DATA.carts
        if line.customer_id == customer.customer_id
    )
    assert lines
    assert sorted(v.keys[0] for v in found if v.invariant == "cart-customer") == lines


def test_cart_lines_of_a_deleted_product_are_not_reported() -> None:
    # A line may outlive its product (it reads product: null): the reference is drawn, not checked.
    product = DATA.carts[0].product_id
    found = check(tables(Products={(product,)}))
    assert found, "the product's order lines or reviews are reported, as before"
    assert [v for v in found if any(key.startswith("CartItems(") for key in v.keys)] == []


def test_reviews_of_a_deleted_product_are_reported() -> None:
    product = DATA.reviews[0].product_id
    found = check(tables(Products={(product,)}))
    reviews = {
        f"Reviews(ProductId={r.product_id}, ReviewId={r.review_id})" for r in DATA.reviews if r.product_id == product
    }
    assert {v.keys[0] for v in found if v.invariant == "review-product"} == reviews
    lines = [line for line in DATA.order_items if line.product_id == product]
    # Gone around the service, the product also leaves its category's counter one too many.
    expected = {"review-product", "counters"} | ({"line-product"} if lines else set())
    assert {v.invariant for v in found} == expected


def test_only_what_both_scans_saw_is_confirmed() -> None:
    stays = Violation("stock", ("Products(ProductId=a)",), "Stock -1 is negative")
    moved = Violation("stock", ("Products(ProductId=a)",), "Stock -2 is negative")  # same item, value moved
    passing = Violation("order-total", ("Orders(OrderId=b)",), "Total 2 but its lines sum to 1")
    late = Violation("order-count", ("Customers(CustomerId=c)",), "OrderCount 1 but 0 orders")
    assert confirmed([stays, passing], [moved, late]) == [moved]
