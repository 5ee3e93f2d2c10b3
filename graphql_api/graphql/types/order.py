"""The Order type, its related customer (AP1) and lines (AP5)."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Annotated, cast

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import Connection
from graphql_api.graphql.selection import selected
from graphql_api.graphql.types._domain import DomainType
from graphql_api.graphql.types._prefetched import Prefetched
from graphql_api.graphql.types.order_item import OrderItem
from graphql_api.graphql.types.product import Product
from graphql_api.repositories import orders
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import OrderStatus
from graphql_api.repositories.products import PRODUCTS

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

    _lines: strawberry.Private[Prefetched[list[OrderItem]] | None] = dataclasses.field(default=None, init=False)
    """Loaded ahead with the rest of the page's lines (prefetch_lines)."""

    @strawberry.field
    def items(self, info: Info) -> list[OrderItem]:
        if self._lines is not None:
            return self._lines.value()
        # A coroutine: graphql-core awaits what a resolver returns, a plain value it takes as it is.
        return cast("list[OrderItem]", self._load_items(info))

    async def _load_items(self, info: Info) -> list[OrderItem]:
        lines = await info.context.loaders.order_items(self._domain)
        return [OrderItem.from_domain(line) for line in lines]


async def prefetch_lines(info: Info, connection: Connection[Order]) -> Connection[Order]:
    """When the query selects a page's `edges.node.items` (through fragments too), load every order's lines in
    one go, and their products when `items.product` is selected: as many DynamoDB requests as the per-field
    loads (the DataLoader batched those too), without a coroutine per order and per line."""
    items = selected(info.selected_fields, "edges", "node", "items")
    orders_on_page = [edge.node for edge in connection.edges]
    if not items or not orders_on_page:
        return connection
    loaders = info.context.loaders
    try:
        lines_per_order = await loaders.order_items_of([order._domain for order in orders_on_page])
    except Exception as error:
        for order in orders_on_page:
            order._lines = Prefetched(error=error)
        return connection
    page_lines = [[OrderItem.from_domain(line) for line in lines] for lines in lines_per_order]
    if selected(items, "product"):
        await _prefetch_products(info, [line for lines in page_lines for line in lines])
    for order, lines_of_order in zip(orders_on_page, page_lines, strict=True):
        order._lines = Prefetched(result=lines_of_order)
    return connection


async def _prefetch_products(info: Info, lines: list[OrderItem]) -> None:
    ids = list(dict.fromkeys(line.product_id for line in lines))
    try:
        loaded = await info.context.loaders.many(PRODUCTS, ids)
    except Exception as error:
        for line in lines:
            line._product = Prefetched(error=error)
        return
    products = dict(zip(ids, loaded, strict=True))
    for line in lines:
        product = products[line.product_id]
        line._product = Prefetched(result=Product.from_domain(product) if product else None)
