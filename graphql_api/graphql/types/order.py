"""The Order type, its related customer (AP1) and lines (AP5)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.types._domain import DomainType
from graphql_api.graphql.types.order_item import OrderItem
from graphql_api.repositories import orders
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import OrderStatus

if TYPE_CHECKING:
    from graphql_api.graphql.types.customer import Customer

# The domain enum is the GraphQL enum: strawberry.enum registers it in place.
strawberry.enum(OrderStatus)


@follows_parent
@strawberry.type
class Order(DomainType):
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

        customer = await info.context.loaders.one(CUSTOMERS, self.customer_id)
        return Customer.from_domain(customer) if customer else None

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        lines = await info.context.loaders.order_items(self._domain)
        return [OrderItem.from_domain(line) for line in lines]
