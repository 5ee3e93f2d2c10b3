"""Domain object <-> stored item, derived from each entity's declaration (graphql_api.entity)."""

from __future__ import annotations

import random
from dataclasses import replace
from decimal import Decimal

import pytest

from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.ops.seed import demo_dataset
from graphql_api.repositories import customers
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS


def _through_dynamodb(item: dict) -> dict:  # type: ignore[type-arg]
    """What comes back from DynamoDB: numbers as Decimal, None attributes absent."""
    return deserialize_item(serialize_item(item))


def test_every_table_round_trips() -> None:
    data = demo_dataset(seed=3, customer_count=5, product_count=10, order_count=10)
    for customer in data.customers:
        assert CUSTOMERS.from_item(_through_dynamodb(CUSTOMERS.to_item(customer))) == customer
    for product in data.products:
        assert PRODUCTS.from_item(_through_dynamodb(PRODUCTS.to_item(product))) == product
    for order in data.orders:
        assert ORDERS.from_item(_through_dynamodb(ORDERS.to_item(order))) == order
    for line in data.order_items:
        assert ORDER_ITEMS.from_item(_through_dynamodb(ORDER_ITEMS.to_item(line))) == line


def test_stored_items_use_the_declared_attribute_names() -> None:
    data = demo_dataset(seed=3, customer_count=2, product_count=3, order_count=1)
    assert set(ORDERS.to_item(data.orders[0])) >= {"OrderId", "CustomerId", "Status", "OrderDate", "Total", "Version"}
    assert CUSTOMERS.to_item(data.customers[0])["Addresses"][0]["PostalCode"]


def test_a_field_with_a_default_may_be_missing_from_an_item() -> None:
    """Items written before a field existed (OrderCount, ReviewCount, Subject) read with the default."""
    data = demo_dataset(seed=3, customer_count=1, product_count=1, order_count=0)
    product = replace(data.products[0], review_count=0, rating_sum=0)
    item = _through_dynamodb(PRODUCTS.to_item(product))
    del item["ReviewCount"], item["RatingSum"]
    assert PRODUCTS.from_item(item) == product
    customer = _through_dynamodb(CUSTOMERS.to_item(data.customers[0]))
    del customer["OrderCount"]
    assert CUSTOMERS.from_item(customer).order_count == 0


def test_money_is_read_back_with_two_places() -> None:
    data = demo_dataset(seed=3, customer_count=1, product_count=1, order_count=0)
    item = _through_dynamodb(PRODUCTS.to_item(data.products[0]))
    item["Price"] = Decimal("12.1")  # as DynamoDB normalizes 12.10
    assert str(PRODUCTS.from_item(item).price) == "12.10"


def test_a_required_attribute_missing_is_an_error_naming_it() -> None:
    data = demo_dataset(seed=3, customer_count=1, product_count=1, order_count=0)
    item = _through_dynamodb(PRODUCTS.to_item(data.products[0]))
    del item["Price"]
    with pytest.raises(KeyError, match="Price"):
        PRODUCTS.from_item(item)


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
