"""Orders: the order header, listed by customer (CustomerIndex) and by status (StatusIndex), newest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from graphql_api.clock import ONE_TICK, format_timestamp, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.money import money
from graphql_api.repositories._paging import Listing, Page, Position, query_page
from graphql_api.tables import ORDERS

CUSTOMER_INDEX = ORDERS.index("CustomerIndex")
STATUS_INDEX = ORDERS.index("StatusIndex")
CUSTOMER_POSITION = ORDERS.position_attributes(CUSTOMER_INDEX)
STATUS_POSITION = ORDERS.position_attributes(STATUS_INDEX)


class OrderStatus(Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True)
class Order:
    order_id: str
    customer_id: str
    status: OrderStatus
    order_date: datetime
    total: Decimal
    currency: str
    item_count: int
    idempotency_key: str | None
    created_at: datetime
    updated_at: datetime
    version: int


@dataclass(frozen=True)
class DateRange:
    """Orders placed at or after `placed_after` and strictly before `placed_before`."""

    placed_after: datetime | None = None
    placed_before: datetime | None = None


def order_key(order_id: str) -> tuple[str]:
    return (order_id,)


def to_item(order: Order) -> Item:
    return {
        "OrderId": order.order_id,
        "CustomerId": order.customer_id,
        "Status": order.status.value,
        "OrderDate": format_timestamp(order.order_date),
        "Total": order.total,
        "Currency": order.currency,
        "ItemCount": order.item_count,
        "IdempotencyKey": order.idempotency_key,
        "CreatedAt": format_timestamp(order.created_at),
        "UpdatedAt": format_timestamp(order.updated_at),
        "Version": order.version,
    }


def from_item(item: Item) -> Order:
    return Order(
        order_id=item["OrderId"],
        customer_id=item["CustomerId"],
        status=OrderStatus(item["Status"]),
        order_date=parse_timestamp(item["OrderDate"]),
        total=money(item["Total"]),
        currency=item["Currency"],
        item_count=int(item["ItemCount"]),
        idempotency_key=item.get("IdempotencyKey"),
        created_at=parse_timestamp(item["CreatedAt"]),
        updated_at=parse_timestamp(item["UpdatedAt"]),
        version=int(item["Version"]),
    )


def _date_condition(dates: DateRange) -> tuple[str, dict[str, Any]]:
    """The OrderDate part of a key condition; the range is half-open, [after, before)."""
    after, before = dates.placed_after, dates.placed_before
    if after is not None and before is not None:
        # BETWEEN is inclusive on both ends: stop one tick (a microsecond) before `before`.
        return " AND OrderDate BETWEEN :after AND :before", {
            ":after": format_timestamp(after),
            ":before": format_timestamp(before - ONE_TICK),
        }
    if after is not None:
        return " AND OrderDate >= :after", {":after": format_timestamp(after)}
    if before is not None:
        return " AND OrderDate < :before", {":before": format_timestamp(before)}
    return "", {}


async def list_for_customer(
    dynamo: Dynamo,
    customer_id: str,
    *,
    first: int,
    after: Position | None,
    status: OrderStatus | None,
    dates: DateRange,
    read_budget: int,
) -> Page[Order]:
    """AP3: Query CustomerIndex newest first; the date range in the key condition, status as a filter."""
    date_condition, date_values = _date_condition(dates)
    values: dict[str, Any] = {":customer": customer_id, **date_values}
    if status is not None:
        values[":status"] = status.value
    listing = Listing(
        table=ORDERS,
        index=CUSTOMER_INDEX,
        key_condition="CustomerId = :customer" + date_condition,
        values=values,
        names={"#status": "Status"} if status is not None else None,
        filter="#status = :status" if status is not None else None,
        newest_first=True,
    )
    return await query_page(dynamo, listing, first=first, after=after, read_budget=read_budget, from_item=from_item)


async def list_by_status(
    dynamo: Dynamo,
    status: OrderStatus,
    *,
    first: int,
    after: Position | None,
    dates: DateRange,
    read_budget: int,
) -> Page[Order]:
    """AP7: Query StatusIndex newest first, the date range in the key condition."""
    date_condition, date_values = _date_condition(dates)
    listing = Listing(
        table=ORDERS,
        index=STATUS_INDEX,
        key_condition="#status = :status" + date_condition,
        names={"#status": "Status"},
        values={":status": status.value, **date_values},
        newest_first=True,
    )
    return await query_page(dynamo, listing, first=first, after=after, read_budget=read_budget, from_item=from_item)
