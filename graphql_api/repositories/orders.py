"""Orders: the order header, listed by customer (CustomerIndex, AP3) and by status (StatusIndex, AP7), newest first.

Placing, advancing and cancelling orders (across four tables) is graphql_api.repositories.order_writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from graphql_api.entity import Entity, Reference
from graphql_api.money import Money
from graphql_api.repositories._stamp import Stamp
from graphql_api.repositories.customers import CUSTOMERS


class OrderStatus(Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@dataclass(frozen=True, kw_only=True)
class Order:
    order_id: str
    customer_id: str
    status: OrderStatus
    order_date: datetime
    total: Money
    currency: str
    item_count: int
    idempotency_key: str | None = None
    request_hash: str | None = None
    """Fingerprint of the lines of a keyed placement: the same key with other lines is a CONFLICT."""
    created_at: datetime
    updated_at: datetime
    version: int
    updated_by: Stamp | None = None
    """Who wrote it last through the API (graphql_api.repositories._stamp): the audit trail's actor."""


ORDERS = Entity(
    Order,
    "Orders",
    key=("order_id",),
    id_prefix="ord",
    indexes={"CustomerIndex": ("customer_id", "order_date"), "StatusIndex": ("status", "order_date")},
    stream="NEW_AND_OLD_IMAGES",  # orderChanged, ordersChanged (graphql_api.live); the audit trail
    references={"customer_id": Reference(CUSTOMERS, checked_by="order-customer")},
    filterable=("total", "item_count", "currency"),  # beyond its listings' keys (graphql_api.planner)
)
BY_CUSTOMER = ORDERS.listing(
    "CustomerIndex", newest_first=True, pattern="AP3", purpose="Orders of a customer, newest first"
)
"""AP3: a customer's orders, newest first; a date range in the key condition, a status as a filter."""
BY_STATUS = ORDERS.listing("StatusIndex", newest_first=True, pattern="AP7", purpose="Orders by status")
"""AP7: the orders in a status, newest first (the fulfilment dashboard)."""
