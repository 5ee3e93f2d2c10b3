"""OrderItems: the lines of an order, under a composite key (OrderId, ItemId).

ItemIds are the line numbers `001`, `002`, ... so that an order's item keys derive from its
ItemCount: all items of a page of orders load with BatchGetItem, no Query per order.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from graphql_api.dynamo.serialization import Item
from graphql_api.money import money

MAX_LINES = 25


@dataclass(frozen=True)
class OrderItem:
    order_id: str
    item_id: str
    product_id: str
    quantity: int
    unit_price: Decimal
    line_total: Decimal


def item_id(line_number: int) -> str:
    return f"{line_number:03d}"


def item_key(order_id: str, item_id: str) -> tuple[str, str]:
    return (order_id, item_id)


def item_keys(order_id: str, item_count: int) -> list[tuple[str, str]]:
    """The keys of every line of an order, derived from its ItemCount."""
    return [item_key(order_id, item_id(number)) for number in range(1, item_count + 1)]


def to_item(line: OrderItem) -> Item:
    return {
        "OrderId": line.order_id,
        "ItemId": line.item_id,
        "ProductId": line.product_id,
        "Quantity": line.quantity,
        "UnitPrice": line.unit_price,
        "LineTotal": line.line_total,
    }


def from_item(item: Item) -> OrderItem:
    return OrderItem(
        order_id=item["OrderId"],
        item_id=item["ItemId"],
        product_id=item["ProductId"],
        quantity=int(item["Quantity"]),
        unit_price=money(item["UnitPrice"]),
        line_total=money(item["LineTotal"]),
    )
