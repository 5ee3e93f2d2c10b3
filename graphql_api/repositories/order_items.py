"""OrderItems: the lines of an order, under a composite key (OrderId, ItemId).

ItemIds are the line numbers `001`, `002`, ... so that an order's item keys derive from its
ItemCount: all items of a page of orders load with BatchGetItem, no Query per order.
"""

from __future__ import annotations

from dataclasses import dataclass

from graphql_api.entity import Entity, Reference
from graphql_api.money import Money
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS

MAX_LINES = 25


@dataclass(frozen=True)
class OrderItem:
    order_id: str
    item_id: str
    product_id: str
    quantity: int
    unit_price: Money
    line_total: Money


ORDER_ITEMS = Entity(
    OrderItem,
    "OrderItems",
    key=("order_id", "item_id"),
    references={
        "order_id": Reference(ORDERS, checked_by="orphan-line"),
        "product_id": Reference(PRODUCTS, checked_by="line-product"),
    },
)


def item_id(line_number: int) -> str:
    return f"{line_number:03d}"


def item_keys(order_id: str, item_count: int) -> list[tuple[str, ...]]:
    """The keys of every line of an order, derived from its ItemCount."""
    return [ORDER_ITEMS.key(order_id, item_id(number)) for number in range(1, item_count + 1)]
