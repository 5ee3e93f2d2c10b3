"""Per-request DataLoaders on BatchGetItem, for every load by key, of every entity.

One DataLoader holds the keys of every table, so the loads of different tables that are pending
in the same tick share one BatchGetItem call (chunked at 100 keys). It deduplicates keys, caches
for the duration of one GraphQL request, and answers in the order asked with None for missing.
`one` and `many` turn its items into the entity's domain objects.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any, TypeVar

from aiodataloader import DataLoader

from graphql_api.dynamo.batch_get import TableKey, batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.entity import Entity
from graphql_api.repositories import order_items
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem
from graphql_api.repositories.orders import Order
from graphql_api.settings import Settings

logger = logging.getLogger(__name__)

T = TypeVar("T")


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

    async def one(self, entity: Entity[T], *key: Any) -> T | None:
        """The object with this key (its key fields' values), or None."""
        item = await self._items.load((entity.table, entity.key(*key)))
        return entity.from_item(item) if item else None

    async def many(self, entity: Entity[T], keys: Sequence[Any]) -> list[T | None]:
        """The objects of single-field keys, in the order asked, None where missing."""
        items = await self._items.load_many([(entity.table, entity.key(key)) for key in keys])
        return [entity.from_item(item) if item else None for item in items]

    def prime(self, entity: Entity[T], values: Sequence[T]) -> None:
        """Objects this request has just written: a later load of them reads nothing."""
        for value in values:
            self._items.prime((entity.table, entity.key_of(value)), entity.to_item(value))

    async def order_items(self, order: Order) -> list[OrderItem]:
        (lines,) = await self.order_items_of([order])
        return lines

    async def order_items_of(self, orders: Sequence[Order]) -> list[list[OrderItem]]:
        """The lines of each order, loaded together."""
        keys = [order_items.item_keys(order.order_id, order.item_count) for order in orders]
        items = await self._items.load_many([(ORDER_ITEMS.table, key) for each in keys for key in each])
        result, start = [], 0
        for order, own_keys in zip(orders, keys, strict=True):
            own = items[start : start + len(own_keys)]
            start += len(own_keys)
            lines = [ORDER_ITEMS.from_item(item) for item in own if item]
            if len(lines) != len(own_keys):
                # Lines are written in the order's own transaction; a gap is corrupt data, not a race.
                logger.error("order %s has %d of its %d lines", order.order_id, len(lines), len(own_keys))
            result.append(lines)
        return result
