"""Customers (AP1, AP2, AP3, AP10, AP11): the Customer type with its addresses, orders and reviews, its queries
and mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.errors import BadUserInput
from graphql_api.graphql.access import CUSTOMERS_AND_ADMINS, SIGNED_IN, STAFF, follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._inputs import check_version, own_customer
from graphql_api.graphql.entities._listed import filtered_list, listed
from graphql_api.graphql.entities._node import Node
from graphql_api.graphql.entities._related import load_one
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.order import Order, prefetch_lines
from graphql_api.graphql.entities.review import Review
from graphql_api.graphql.fields import mutation, query
from graphql_api.graphql.price import costs
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

    orders = listed(
        orders.BY_CUSTOMER,
        Order,
        parent_key="customer_id",
        where=(("status", OrderStatus),),
        within=("placed_after", "placed_before"),
        total_count="order_count",
        finish=prefetch_lines,
        description="Newest first; placedAfter is inclusive, placedBefore exclusive.",
    )
    reviews = listed(
        reviews.BY_CUSTOMER,
        Review,
        parent_key="customer_id",
        total_count=REVIEWS_BY_CUSTOMER,
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
    list_customers = filtered_list(customers.CUSTOMERS, Customer, STAFF)

    @query(SIGNED_IN, costs("load"), "AP11: the caller's own customer; null before sign-up (createCustomer).")
    async def me(self, info: Info) -> Customer | None:
        customer_id = info.context.identity.customer_id
        if customer_id is None:
            return None  # AUTH_MODE=none: no sign-in, no customer of one's own
        return await load_one(info, CUSTOMERS, customer_id, Customer)

    @query(SIGNED_IN, costs("load"), "AP1: a customer by id; null if there is none (or it is another customer's).")
    async def customer(self, info: Info, customer_id: strawberry.ID) -> Customer | None:
        wanted = CUSTOMERS.check_id(customer_id, "customerId")
        if not info.context.identity.may_see_customer(wanted):
            return None  # decided from the token: another customer's id reads as missing, at no cost
        return await load_one(info, CUSTOMERS, wanted, Customer)

    @query(
        SIGNED_IN,
        costs("query"),
        "AP2: a customer by email, case-insensitively; null if there is none (or it is another's).",
    )
    async def customer_by_email(self, info: Info, email: str) -> Customer | None:
        customer = await customers.find_by_email(info.context.dynamo, check_email(email))
        if customer is None or not info.context.identity.may_see_customer(customer.customer_id):
            return None
        return Customer.from_domain(customer)


@strawberry.type
class CustomerMutation:
    @mutation(
        SIGNED_IN,
        costs("write", 2),
        (
            "A customer creates their own (bound to their sign-in; a second one is CONFLICT); staff and "
            "admins create unbound customers. CONFLICT if the email (case-insensitive) is taken."
        ),
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

    @mutation(
        CUSTOMERS_AND_ADMINS,
        costs("write", 3),
        "Omitted fields stay as they are. VERSION_MISMATCH, NOT_FOUND, CONFLICT.",
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

    @mutation(
        CUSTOMERS_AND_ADMINS,
        costs("write", 5),
        "CONFLICT if the customer has orders. Releases the email; what the customer owned goes too.",
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
