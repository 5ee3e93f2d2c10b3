"""The Customer type, its addresses, and its orders (AP3)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import DEFAULT_FIRST, check_first, listing_id, position_after
from graphql_api.graphql.types.order import OrderConnection
from graphql_api.repositories import customers, orders
from graphql_api.repositories.orders import OrderStatus


@follows_parent
@strawberry.type
class Address:
    label: str | None
    street: str
    city: str
    postal_code: str
    country: str


@follows_parent
@strawberry.type
class Customer:
    customer_id: strawberry.ID
    email: str
    name: str
    addresses: list[Address]
    order_count: int = strawberry.field(description="Kept in the placeOrder transaction, never counted.")
    created_at: datetime
    updated_at: datetime
    version: int

    @strawberry.field(description="Newest first; placedAfter is inclusive, placedBefore exclusive.")
    async def orders(
        self,
        info: Info,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        status: OrderStatus | None = None,
        placed_after: datetime | None = None,
        placed_before: datetime | None = None,
    ) -> OrderConnection:
        first = check_first(first)
        settings = info.context.settings
        listing = listing_id("Customer.orders", self.customer_id, status, placed_after, placed_before)
        page = await orders.list_for_customer(
            info.context.dynamo,
            self.customer_id,
            first=first,
            after=position_after(settings.cursor_secrets, listing, after, orders.CUSTOMER_POSITION),
            status=status,
            dates=orders.DateRange(placed_after, placed_before),
            read_budget=settings.filter_read_budget,
        )
        unfiltered = status is None and placed_after is None and placed_before is None
        return OrderConnection.from_page(
            page, settings.cursor_secrets, listing, total_count=self.order_count if unfiltered else None
        )

    @classmethod
    def from_domain(cls, customer: customers.Customer) -> Customer:
        return cls(
            customer_id=strawberry.ID(customer.customer_id),
            email=customer.email,
            name=customer.name,
            addresses=[
                Address(
                    label=address.label,
                    street=address.street,
                    city=address.city,
                    postal_code=address.postal_code,
                    country=address.country,
                )
                for address in customer.addresses
            ],
            order_count=customer.order_count,
            created_at=customer.created_at,
            updated_at=customer.updated_at,
            version=customer.version,
        )
