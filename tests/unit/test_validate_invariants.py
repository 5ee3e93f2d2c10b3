"""The invariants that need a deleted parent (a customer with orders, a product with reviews), which the service
never lets happen: checked on tables built in memory from the demo data."""

from __future__ import annotations

from typing import Any

from graphql_api.entity import Entity
from graphql_api.ops.seed import demo_dataset
from graphql_api.ops.validate import Tables, Violation, check, confirmed
from graphql_api.repositories import ALL_ENTITIES
from graphql_api.repositories.customers import CUSTOMER_EMAILS, CUSTOMERS, email_guards
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import PRODUCT_REVIEWERS, REVIEWS, ProductReviewer

DATA = demo_dataset()


def tables(**without: set[Any]) -> Tables:
    """The demo data as scanned items, minus the items of the given tables whose key is in the set."""
    contents: dict[Entity[Any], list[Any]] = {
        CUSTOMERS: DATA.customers,
        CUSTOMER_EMAILS: email_guards(DATA.customers),
        ORDERS: DATA.orders,
        ORDER_ITEMS: DATA.order_items,
        PRODUCTS: DATA.products,
        REVIEWS: DATA.reviews,
        PRODUCT_REVIEWERS: [ProductReviewer(r.product_id, r.customer_id, r.review_id) for r in DATA.reviews],
    }
    assert set(contents) == set(ALL_ENTITIES)
    items = {
        entity: [
            entity.to_item(value)
            for value in values
            if entity.key_of(value) not in without.get(entity.table.name, set())
        ]
        for entity, values in contents.items()
    }
    return Tables(items)


def test_the_demo_data_keeps_every_invariant() -> None:
    assert check(tables()) == []


def test_orders_of_a_deleted_customer_are_reported_once_each() -> None:
    customer = next(c for c in DATA.customers if c.order_count)
    found = check(tables(Customers={(customer.customer_id,)}, CustomerEmails={(customer.email,)}))
    orders = sorted(f"Orders(OrderId={o.order_id})" for o in DATA.orders if o.customer_id == customer.customer_id)
    assert sorted(v.keys[0] for v in found) == orders
    assert {v.invariant for v in found} == {"order-customer"}


def test_reviews_of_a_deleted_product_are_reported() -> None:
    product = DATA.reviews[0].product_id
    found = check(tables(Products={(product,)}))
    reviews = {
        f"Reviews(ProductId={r.product_id}, ReviewId={r.review_id})" for r in DATA.reviews if r.product_id == product
    }
    assert {v.keys[0] for v in found if v.invariant == "review-product"} == reviews
    lines = [line for line in DATA.order_items if line.product_id == product]
    assert {v.invariant for v in found} == {"review-product"} | ({"line-product"} if lines else set())


def test_only_what_both_scans_saw_is_confirmed() -> None:
    stays = Violation("stock", ("Products(ProductId=a)",), "Stock -1 is negative")
    moved = Violation("stock", ("Products(ProductId=a)",), "Stock -2 is negative")  # same item, value moved
    passing = Violation("order-total", ("Orders(OrderId=b)",), "Total 2 but its lines sum to 1")
    late = Violation("order-count", ("Customers(CustomerId=c)",), "OrderCount 1 but 0 orders")
    assert confirmed([stays, passing], [moved, late]) == [moved]
