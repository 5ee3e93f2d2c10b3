"""Customers (AP1, AP2, AP3, AP10, AP11): the Customer type with its addresses, orders and reviews, its queries
and mutations."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

import strawberry

from graphql_api.entity import Range
from graphql_api.errors import BadUserInput
from graphql_api.graphql.access import CUSTOMERS_AND_ADMINS, SIGNED_IN, STAFF, allow, follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._inputs import check_version, own_customer
from graphql_api.graphql.entities._node import Node
from graphql_api.graphql.entities._related import list_field, load_one, related_listing
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.order import ORDER_FILTER, ORDER_ORDER, Order, prefetch_lines
from graphql_api.graphql.entities.review import Review
from graphql_api.graphql.entities.stats import kept_by
from graphql_api.graphql.filters import PARENT, argument_of, condition_of, explained, order_of
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, paginate, shaped
from graphql_api.graphql.price import costs
from graphql_api.planner import plan
from graphql_api.repositories import customers, orders, reviews
from graphql_api.repositories.counters import REVIEWS_BY_CUSTOMER
from graphql_api.repositories.customers import CUSTOMERS, MAX_ADDRESSES
from graphql_api.repositories.customers import Address as AddressValue
from graphql_api.repositories.orders import OrderStatus
from graphql_api.validation import check_country, check_email, check_text


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
class Customer(DomainType, Node):
    customer_id: strawberry.ID
    email: str
    name: str
    order_count: int = strawberry.field(description="Kept in the placeOrder transaction, never counted.")
    created_at: datetime
    updated_at: datetime
    version: int
    _domain: strawberry.Private[customers.Customer]

    @strawberry.field(metadata=costs("plain", MAX_ADDRESSES))
    def addresses(self) -> list[Address]:
        return [Address.from_domain(address) for address in self._domain.addresses]

    @strawberry.field(
        description="Newest first; placedAfter is inclusive, placedBefore exclusive.",
        metadata=costs("listing", filtered_by=("status", "filter"))
        | explained(
            lambda arguments: plan(
                [orders.BY_CUSTOMER],
                shaped(
                    orders.BY_CUSTOMER,
                    within=Range(argument_of(arguments, "placed_after"), argument_of(arguments, "placed_before")),
                    where={"status": status} if (status := argument_of(arguments, "status")) else None,
                    condition=condition_of(argument_of(arguments, "filter"), orders.ORDERS),
                ),
                order_of(argument_of(arguments, "order_by"), orders.ORDERS),
                partition=PARENT,
            )
        ),
    )
    async def orders(
        self,
        info: Info,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        status: OrderStatus | None = None,
        placed_after: datetime | None = None,
        placed_before: datetime | None = None,
        filter: Annotated[Any, ORDER_FILTER] = None,
        order_by: Annotated[Any, ORDER_ORDER] = None,
    ) -> Connection[Order]:
        # paginate itself, not related_listing: a status and a date range besides the filter, and a kept count.
        condition = condition_of(filter, orders.ORDERS)
        unfiltered = status is None and placed_after is None and placed_before is None and condition is None
        page = await paginate(
            info,
            orders.BY_CUSTOMER,
            self.customer_id,
            Order.from_domain,
            first=first,
            after=after,
            last=last,
            before=before,
            shape=(status, placed_after, placed_before),
            within=Range(placed_after, placed_before),
            where={"status": status} if status else None,
            condition=condition,
            order=order_of(order_by, orders.ORDERS),
            total_count=self.order_count if unfiltered else None,
        )
        return await prefetch_lines(info, page)

    reviews = related_listing(
        reviews.BY_CUSTOMER,
        "customer_id",
        Review,
        total_count=kept_by(REVIEWS_BY_CUSTOMER, "customer_id"),
        count_keys=REVIEWS_BY_CUSTOMER.shards,
        description="AP10: the reviews this customer wrote, newest first.",
    )


@strawberry.input
class AddressInput:
    street: str
    city: str
    postal_code: str
    country: str = strawberry.field(description="ISO 3166-1 alpha-2, e.g. DE")
    label: str | None = None


@strawberry.input
class CreateCustomerInput:
    email: str
    name: str
    addresses: list[AddressInput] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateCustomerInput:
    customer_id: strawberry.ID
    expected_version: int
    email: str | None = None
    name: str | None = None
    addresses: list[AddressInput] | None = None


def _addresses(addresses: list[AddressInput]) -> tuple[AddressValue, ...]:
    if len(addresses) > MAX_ADDRESSES:
        raise BadUserInput("addresses", f"at most {MAX_ADDRESSES} addresses, got {len(addresses)}")
    return tuple(
        AddressValue(
            street=check_text(a.street, f"addresses[{n}].street"),
            city=check_text(a.city, f"addresses[{n}].city", 100),
            postal_code=check_text(a.postal_code, f"addresses[{n}].postalCode", 20),
            country=check_country(a.country, f"addresses[{n}].country"),
            label=None if a.label is None else check_text(a.label, f"addresses[{n}].label", 50),
        )
        for n, a in enumerate(addresses)
    )


@strawberry.type
class CustomerQuery:
    list_customers = list_field(
        customers.CUSTOMERS,
        Customer,
        extensions=allow(STAFF),
        description="Staff and admins: customers matching the filter, on an index it names (never a scan).",
    )

    @strawberry.field(
        metadata=costs("load"),
        description="AP11: the caller's own customer; null before sign-up (createCustomer).",
        extensions=allow(SIGNED_IN),
    )
    async def me(self, info: Info) -> Customer | None:
        customer_id = info.context.identity.customer_id
        if customer_id is None:
            return None  # AUTH_MODE=none: no sign-in, no customer of one's own
        return await load_one(info, CUSTOMERS, customer_id, Customer)

    @strawberry.field(
        metadata=costs("load"),
        description="AP1: a customer by id; null if there is none (or it is another customer's).",
        extensions=allow(SIGNED_IN),
    )
    async def customer(self, info: Info, customer_id: strawberry.ID) -> Customer | None:
        wanted = CUSTOMERS.check_id(customer_id, "customerId")
        if not info.context.identity.may_see_customer(wanted):
            return None  # decided from the token: another customer's id reads as missing, at no cost
        return await load_one(info, CUSTOMERS, wanted, Customer)

    @strawberry.field(
        metadata=costs("query"),
        description="AP2: a customer by email, case-insensitively; null if there is none (or it is another's).",
        extensions=allow(SIGNED_IN),
    )
    async def customer_by_email(self, info: Info, email: str) -> Customer | None:
        customer = await customers.find_by_email(info.context.dynamo, check_email(email))
        if customer is None or not info.context.identity.may_see_customer(customer.customer_id):
            return None
        return Customer.from_domain(customer)


@strawberry.type
class CustomerMutation:
    @strawberry.mutation(
        metadata=costs("write", 2),
        description="A customer creates their own (bound to their sign-in; a second one is CONFLICT); staff and "
        "admins create unbound customers. CONFLICT if the email (case-insensitive) is taken.",
        extensions=allow(SIGNED_IN),
    )
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> Customer:
        identity = info.context.identity
        customer = await customers.create(
            info.context.dynamo,
            email=check_email(input.email),
            name=check_text(input.name, "name"),
            addresses=_addresses(input.addresses),
            subject=None if identity.is_staff else identity.subject,
        )
        return Customer.from_domain(customer)

    @strawberry.mutation(
        metadata=costs("write", 3),
        description="Omitted fields stay as they are. VERSION_MISMATCH, NOT_FOUND, CONFLICT.",
        extensions=allow(CUSTOMERS_AND_ADMINS),
    )
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> Customer:
        customer = await customers.update(
            info.context.dynamo,
            own_customer(info.context.identity, CUSTOMERS.check_id(input.customer_id, "customerId")),
            check_version(input.expected_version),
            email=None if input.email is None else check_email(input.email),
            name=None if input.name is None else check_text(input.name, "name"),
            addresses=None if input.addresses is None else _addresses(input.addresses),
        )
        return Customer.from_domain(customer)

    @strawberry.mutation(
        metadata=costs("write", 5),
        description="CONFLICT if the customer has orders. Releases the email; what the customer owned goes too.",
        extensions=allow(CUSTOMERS_AND_ADMINS),
    )
    async def delete_customer(self, info: Info, customer_id: strawberry.ID, expected_version: int) -> bool:
        deleted = own_customer(info.context.identity, CUSTOMERS.check_id(customer_id, "customerId"))
        await customers.delete(info.context.dynamo, deleted, check_version(expected_version))
        return True


ROOTS = Roots(
    customers.CUSTOMERS,
    query=CustomerQuery,
    mutation=CustomerMutation,
    samples={
        "AP2": "query($e: String!) { customerByEmail(email: $e) { customerId } }",
    },
)
