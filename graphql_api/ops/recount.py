"""What the counters should say, counted from the items themselves: `validate` compares, `backfill` and the seed
write it."""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal

from graphql_api.repositories.counters import (
    ORDERS_BY_STATUS,
    PRODUCTS_BY_CATEGORY,
    REVIEWS_BY_CUSTOMER,
    Counter,
    Total,
)
from graphql_api.repositories.orders import Order
from graphql_api.repositories.products import Product
from graphql_api.repositories.reviews import Review

CounterKey = tuple[str, str]
"""(family name, member): one counter, whatever its shards."""


def recount(products: Iterable[Product], orders: Iterable[Order], reviews: Iterable[Review]) -> dict[CounterKey, Total]:
    """Every counter's true total; a member with nothing counted is absent."""
    counted: dict[CounterKey, Total] = {}

    def count(key: CounterKey, amount: Decimal = Decimal(0)) -> None:
        counted[key] = counted.get(key, Total()) + Total(1, amount)

    for product in products:
        count((PRODUCTS_BY_CATEGORY.name, product.category))
    for order in orders:
        count((ORDERS_BY_STATUS.name, order.status.value), order.total)
    for review in reviews:
        count((REVIEWS_BY_CUSTOMER.name, review.customer_id))
    return counted


def as_counters(totals: dict[CounterKey, Total]) -> list[Counter]:
    """The totals as counter items, each in its family's shard 0 (the seed's, written into empty tables)."""
    return [
        Counter(shard=f"{family}#0", member=member, count=each.count, amount=each.amount)
        for (family, member), each in sorted(totals.items())
    ]
