"""Counts kept, not counted (SPEC 13): `categories` (anyone) and `orderStats` (staff and admin), read from the
counters the writes keep (graphql_api.repositories.counters); the listings' `totalCount` reads them too
(graphql_api.graphql.entities._listed)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.graphql.access import EVERYONE, STAFF, follows_parent, public
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.fields import query
from graphql_api.graphql.price import costs
from graphql_api.money import money
from graphql_api.repositories import counters
from graphql_api.repositories.counters import COUNTERS, ORDERS_BY_STATUS, PRODUCTS_BY_CATEGORY
from graphql_api.repositories.orders import OrderStatus


@public
@strawberry.type
class Category:
    name: str
    product_count: int = strawberry.field(description="Kept in the products' transactions, never counted.")


@follows_parent
@strawberry.type
class OrderStatusStats:
    status: OrderStatus
    count: int = strawberry.field(description="Orders in this status, kept in the orders' transactions.")
    revenue: Decimal = strawberry.field(description="The sum of their totals (whatever their currency).")


@strawberry.type
class StatsQuery:
    @query(
        EVERYONE,
        costs("query", counters.MAX_CATEGORIES),
        "AP13: every category with products, by name, and how many it has (one Query).",
    )
    async def categories(self, info: Info) -> list[Category]:
        found = await counters.listed(info.context.dynamo, PRODUCTS_BY_CATEGORY)
        return [Category(name=name, product_count=each.count) for name, each in found.items()]

    @query(
        STAFF,
        costs("load", len(OrderStatus) * ORDERS_BY_STATUS.shards),
        "Orders and revenue by status, every status listed (one BatchGetItem).",
    )
    async def order_stats(self, info: Info) -> list[OrderStatusStats]:
        statuses = [status.value for status in OrderStatus]
        found = await counters.totals(info.context.dynamo, ORDERS_BY_STATUS, statuses)
        return [
            OrderStatusStats(status=OrderStatus(status), count=found[status].count, revenue=money(found[status].amount))
            for status in statuses
        ]


ROOTS = Roots(COUNTERS, query=StatsQuery, samples={"AP13": "{ categories { name productCount } }"})
