"""The Order type, its connection, and its related customer (AP1) and lines (AP5)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import PageInfo, edges_and_page_info
from graphql_api.graphql.types.order_item import OrderItem
from graphql_api.repositories import orders
from graphql_api.repositories._paging import Page
from graphql_api.repositories.orders import OrderStatus

if TYPE_CHECKING:
    from graphql_api.graphql.types.customer import Customer

# The domain enum is the GraphQL enum: strawberry.enum registers it in place.
strawberry.enum(OrderStatus)


@follows_parent
@strawberry.type
class Order:
    order_id: strawberry.ID
    customer_id: strawberry.ID
    status: OrderStatus
    order_date: datetime
    total: Decimal
    currency: str
    item_count: int
    version: int
    _domain: strawberry.Private[orders.Order]

    @strawberry.field
    async def customer(
        self, info: Info
    ) -> Annotated[Customer, strawberry.lazy("graphql_api.graphql.types.customer")] | None:
        from graphql_api.graphql.types.customer import Customer

        customer = await info.context.loaders.customer(self.customer_id)
        return Customer.from_domain(customer) if customer else None

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        lines = await info.context.loaders.order_items(self._domain)
        return [OrderItem.from_domain(line) for line in lines]

    @classmethod
    def from_domain(cls, order: orders.Order) -> Order:
        return cls(
            order_id=strawberry.ID(order.order_id),
            customer_id=strawberry.ID(order.customer_id),
            status=order.status,
            order_date=order.order_date,
            total=order.total,
            currency=order.currency,
            item_count=order.item_count,
            version=order.version,
            _domain=order,
        )


@follows_parent
@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@follows_parent
@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None, description="Set on a customer's unfiltered orders: kept by placeOrder, never counted."
    )

    @classmethod
    def from_page(
        cls, page: Page[orders.Order], secrets: Sequence[str], listing: str, total_count: int | None = None
    ) -> OrderConnection:
        edges, page_info = edges_and_page_info(page, secrets, listing)
        return cls(
            edges=[OrderEdge(cursor=cursor, node=Order.from_domain(order)) for order, cursor in edges],
            page_info=page_info,
            total_count=total_count,
        )
