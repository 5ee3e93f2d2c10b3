"""The Customer type, its addresses, and its orders (AP3)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.entity import Range
from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, paginate
from graphql_api.graphql.types._domain import DomainType
from graphql_api.graphql.types.order import Order, prefetch_lines
from graphql_api.graphql.types.review import Review
from graphql_api.repositories import customers, orders, reviews
from graphql_api.repositories.orders import OrderStatus


@follows_parent
@strawberry.type
class Address(DomainType):
    label: str | None
    street: str
    city: str
    postal_code: str
    country: str


@follows_parent
@strawberry.type
class Customer(DomainType):
    customer_id: strawberry.ID
    email: str
    name: str
    order_count: int = strawberry.field(description="Kept in the placeOrder transaction, never counted.")
    created_at: datetime
    updated_at: datetime
    version: int
    _domain: strawberry.Private[customers.Customer]

    @strawberry.field
    def addresses(self) -> list[Address]:
        return [Address.from_domain(address) for address in self._domain.addresses]

    @strawberry.field(description="Newest first; placedAfter is inclusive, placedBefore exclusive.")
    async def orders(
        self,
        info: Info,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        status: OrderStatus | None = None,
        placed_after: datetime | None = None,
        placed_before: datetime | None = None,
    ) -> Connection[Order]:
        unfiltered = status is None and placed_after is None and placed_before is None
        page = await paginate(
            info,
            orders.BY_CUSTOMER,
            self.customer_id,
            Order.from_domain,
            first=first,
            after=after,
            shape=(status, placed_after, placed_before),
            within=Range(placed_after, placed_before),
            where={"status": status} if status else None,
            total_count=self.order_count if unfiltered else None,
        )
        return await prefetch_lines(info, page)

    @strawberry.field(description="AP10: the reviews this customer wrote, newest first.")
    async def reviews(
        self, info: Info, first: int | None = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Review]:
        return await paginate(info, reviews.BY_CUSTOMER, self.customer_id, Review.from_domain, first=first, after=after)
