"""Domain object <-> stored item, one pair of functions per table."""

from __future__ import annotations

import random

from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.repositories import customers, order_items, orders, products
from graphql_api.seed import demo_dataset


def _through_dynamodb(item: dict) -> dict:  # type: ignore[type-arg]
    """What comes back from DynamoDB: numbers as Decimal, None attributes absent."""
    return deserialize_item(serialize_item(item))


def test_every_table_round_trips() -> None:
    data = demo_dataset(seed=3, customer_count=5, product_count=10, order_count=10)
    for customer in data.customers:
        assert customers.from_item(_through_dynamodb(customers.to_item(customer))) == customer
    for product in data.products:
        assert products.from_item(_through_dynamodb(products.to_item(product))) == product
    for order in data.orders:
        assert orders.from_item(_through_dynamodb(orders.to_item(order))) == order
    for line in data.order_items:
        assert order_items.from_item(_through_dynamodb(order_items.to_item(line))) == line


def test_stored_items_use_the_declared_attribute_names() -> None:
    data = demo_dataset(seed=3, customer_count=2, product_count=3, order_count=1)
    assert set(orders.to_item(data.orders[0])) >= {"OrderId", "CustomerId", "Status", "OrderDate", "Total", "Version"}
    assert customers.to_item(data.customers[0])["Addresses"][0]["PostalCode"]


def test_emails_are_normalized_for_uniqueness() -> None:
    assert customers.normalize_email("  Ada@Example.COM ") == "ada@example.com"


def test_seed_totals_are_exact_sums_of_lines() -> None:
    data = demo_dataset(seed=random.randint(0, 1000), customer_count=5, product_count=20, order_count=30)
    for order in data.orders:
        lines = [line for line in data.order_items if line.order_id == order.order_id]
        assert len(lines) == order.item_count
        assert sum(line.line_total for line in lines) == order.total
        assert all(line.line_total == line.unit_price * line.quantity for line in lines)
    assert sum(c.order_count for c in data.customers) == len(data.orders)
