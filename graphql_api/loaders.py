"""Per-request DataLoaders on BatchGetItem, for every load by key.

One DataLoader holds the keys of every table, so the loads of different tables that are pending
in the same tick share one BatchGetItem call (chunked at 100 keys). It deduplicates keys, caches
for the duration of one GraphQL request, and answers in the order asked with None for missing.
The typed methods below turn its items into domain objects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiodataloader import DataLoader

from graphql_api.dynamo.batch_get import TableKey, batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.repositories import customers, order_items, orders, products
from graphql_api.settings import Settings
from graphql_api.tables import CUSTOMERS, ORDER_ITEMS, ORDERS, PRODUCTS

logger = logging.getLogger(__name__)


class Loaders:
    def __init__(self, dynamo: Dynamo, settings: Settings) -> None:
        self._dynamo = dynamo
        self._settings = settings
        self._items: DataLoader[TableKey, Item | None] = DataLoader(self._load_items)

    async def _load_items(self, keys: list[TableKey]) -> list[Item | None]:
        return await batch_get(
            self._dynamo,
            keys,
            max_retries=self._settings.batch_get_max_retries,
            base_delay=self._settings.batch_get_base_delay,
        )

    async def customer(self, customer_id: str) -> customers.Customer | None:
        item = await self._items.load((CUSTOMERS, customers.customer_key(customer_id)))
        return customers.from_item(item) if item else None

    async def order(self, order_id: str) -> orders.Order | None:
        item = await self._items.load((ORDERS, orders.order_key(order_id)))
        return orders.from_item(item) if item else None

    async def product(self, product_id: str) -> products.Product | None:
        item = await self._items.load((PRODUCTS, products.product_key(product_id)))
        return products.from_item(item) if item else None

    async def products(self, product_ids: Sequence[str]) -> list[products.Product | None]:
        items = await self._items.load_many([(PRODUCTS, products.product_key(pid)) for pid in product_ids])
        return [products.from_item(item) if item else None for item in items]

    def prime_order_items(self, lines: Sequence[order_items.OrderItem]) -> None:
        """Lines this request has just written: a later load of them reads nothing."""
        for line in lines:
            self._items.prime(
                (ORDER_ITEMS, order_items.item_key(line.order_id, line.item_id)), order_items.to_item(line)
            )

    async def order_items(self, order: orders.Order) -> list[order_items.OrderItem]:
        keys = order_items.item_keys(order.order_id, order.item_count)
        items = await self._items.load_many([(ORDER_ITEMS, key) for key in keys])
        lines = [order_items.from_item(item) for item in items if item]
        if len(lines) != len(keys):
            # Lines are written in the order's own transaction; a gap is corrupt data, not a race.
            logger.error("order %s has %d of its %d lines", order.order_id, len(lines), len(keys))
        return lines
