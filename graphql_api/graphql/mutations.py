"""The Mutation root: every input is validated here (BAD_USER_INPUT naming the field) before any write.

Each mutation declares who may call it (graphql_api.graphql.access); a customer acting on another
customer's object gets NOT_FOUND with the same message as for a missing one.
"""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.auth.identity import Identity
from graphql_api.errors import BadUserInput, NotFound
from graphql_api.graphql.access import CUSTOMERS_AND_ADMINS, CUSTOMERS_ONLY, SIGNED_IN, STAFF, allow
from graphql_api.graphql.context import Info
from graphql_api.graphql.types.customer import Customer
from graphql_api.graphql.types.order import Order
from graphql_api.graphql.types.product import Product
from graphql_api.graphql.types.review import Review
from graphql_api.repositories import customers, order_writes, products, reviews
from graphql_api.repositories.customers import MAX_ADDRESSES, Address
from graphql_api.repositories.order_items import MAX_LINES, ORDER_ITEMS
from graphql_api.repositories.orders import OrderStatus
from graphql_api.validation import (
    MAX_CATEGORY_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_STOCK,
    check_country,
    check_currency,
    check_email,
    check_id,
    check_idempotency_key,
    check_price,
    check_range,
    check_text,
)

MAX_QUANTITY = 1000
MAX_VERSION = 2**53


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


@strawberry.input
class CreateProductInput:
    name: str
    category: str
    price: Decimal
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR")
    stock: int
    description: str | None = None


@strawberry.input
class UpdateProductInput:
    product_id: strawberry.ID
    expected_version: int
    name: str | None = None
    description: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it")
    category: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    items: list[OrderLineInput]
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key for the same customer returns the same order, writing nothing new."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omitted: the caller's own customer. Staff and admins must name one."
    )


@strawberry.input
class CreateReviewInput:
    product_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    title: str
    body: str


@strawberry.input
class UpdateOrderStatusInput:
    order_id: strawberry.ID
    status: OrderStatus
    expected_version: int


def _version(value: int) -> int:
    return check_range(value, "expectedVersion", 1, MAX_VERSION)


def _addresses(addresses: list[AddressInput]) -> tuple[Address, ...]:
    if len(addresses) > MAX_ADDRESSES:
        raise BadUserInput("addresses", f"at most {MAX_ADDRESSES} addresses, got {len(addresses)}")
    return tuple(
        Address(
            street=check_text(a.street, f"addresses[{n}].street"),
            city=check_text(a.city, f"addresses[{n}].city", 100),
            postal_code=check_text(a.postal_code, f"addresses[{n}].postalCode", 20),
            country=check_country(a.country, f"addresses[{n}].country"),
            label=None if a.label is None else check_text(a.label, f"addresses[{n}].label", 50),
        )
        for n, a in enumerate(addresses)
    )


def _lines(items: list[OrderLineInput]) -> list[order_writes.OrderLine]:
    if not 1 <= len(items) <= MAX_LINES:
        raise BadUserInput("items", f"an order has 1 to {MAX_LINES} lines, got {len(items)}")
    seen: set[str] = set()
    lines = []
    for n, item in enumerate(items):
        product_id = check_id("prd", item.product_id, f"items[{n}].productId")
        if product_id in seen:
            # Rejected, not merged: a product twice in one order is almost always a client bug.
            raise BadUserInput(f"items[{n}].productId", "this product is already in the order: combine the quantities")
        seen.add(product_id)
        lines.append(
            order_writes.OrderLine(product_id, check_range(item.quantity, f"items[{n}].quantity", 1, MAX_QUANTITY))
        )
    return lines


def _own_customer(identity: Identity, customer_id: str) -> str:
    """The id, if the caller may act on that customer; another customer's reads as missing (NOT_FOUND)."""
    if not identity.may_see_customer(customer_id):
        raise NotFound("customer not found", field="customerId")
    return customer_id


def _ordering_customer(identity: Identity, customer_id: strawberry.ID | None) -> str:
    if customer_id is not None:
        return _own_customer(identity, check_id("cus", customer_id, "customerId"))
    if identity.is_staff or identity.customer_id is None:
        raise BadUserInput("customerId", "name the customer the order is for")
    return identity.customer_id


@strawberry.type
class Mutation:
    @strawberry.mutation(
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
        description="Omitted fields stay as they are. VERSION_MISMATCH, NOT_FOUND, CONFLICT.",
        extensions=allow(CUSTOMERS_AND_ADMINS),
    )
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> Customer:
        customer = await customers.update(
            info.context.dynamo,
            _own_customer(info.context.identity, check_id("cus", input.customer_id, "customerId")),
            _version(input.expected_version),
            email=None if input.email is None else check_email(input.email),
            name=None if input.name is None else check_text(input.name, "name"),
            addresses=None if input.addresses is None else _addresses(input.addresses),
        )
        return Customer.from_domain(customer)

    @strawberry.mutation(
        description="CONFLICT if the customer has orders. Releases the email.", extensions=allow(CUSTOMERS_AND_ADMINS)
    )
    async def delete_customer(self, info: Info, customer_id: strawberry.ID, expected_version: int) -> bool:
        await customers.delete(
            info.context.dynamo,
            _own_customer(info.context.identity, check_id("cus", customer_id, "customerId")),
            _version(expected_version),
        )
        return True

    @strawberry.mutation(extensions=allow(STAFF))
    async def create_product(self, info: Info, input: CreateProductInput) -> Product:
        product = await products.create(
            info.context.dynamo,
            name=check_text(input.name, "name"),
            description=None
            if input.description is None
            else check_text(input.description, "description", MAX_DESCRIPTION_LENGTH, multiline=True),
            category=check_text(input.category, "category", MAX_CATEGORY_LENGTH),
            price=check_price(input.price),
            currency=check_currency(input.currency),
            stock=check_range(input.stock, "stock", 0, MAX_STOCK),
        )
        return Product.from_domain(product)

    @strawberry.mutation(
        description="Omitted (or null) fields stay as they are; description: null clears it.", extensions=allow(STAFF)
    )
    async def update_product(self, info: Info, input: UpdateProductInput) -> Product:
        description = input.description
        changes = products.ProductChanges(
            name=None if input.name is None else check_text(input.name, "name"),
            description=None
            if description is None or description is strawberry.UNSET
            else check_text(description, "description", MAX_DESCRIPTION_LENGTH, multiline=True),
            clear_description=description is None,
            category=None if input.category is None else check_text(input.category, "category", MAX_CATEGORY_LENGTH),
            price=None if input.price is None else check_price(input.price),
            currency=None if input.currency is None else check_currency(input.currency),
            stock=None if input.stock is None else check_range(input.stock, "stock", 0, MAX_STOCK),
        )
        product = await products.update(
            info.context.dynamo,
            check_id("prd", input.product_id, "productId"),
            _version(input.expected_version),
            changes,
        )
        return Product.from_domain(product)

    @strawberry.mutation(
        description="Atomic: the order, its lines and every stock decrement, or nothing. A customer orders for "
        "their own customer only; staff and admins for any.",
        extensions=allow(SIGNED_IN),
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        customer_id = _ordering_customer(info.context.identity, input.customer_id)
        lines = _lines(input.items)
        key = None if input.idempotency_key is None else check_idempotency_key(input.idempotency_key)
        placement = await order_writes.place_order(info.context.dynamo, customer_id, lines, key)
        if placement.lines is not None:
            info.context.loaders.prime(ORDER_ITEMS, placement.lines)  # the answer's items cost no read
        return Order.from_domain(placement.order)

    @strawberry.mutation(
        description="PENDING -> PAID -> SHIPPED -> DELIVERED; PENDING or PAID -> CANCELLED.", extensions=allow(STAFF)
    )
    async def update_order_status(self, info: Info, input: UpdateOrderStatusInput) -> Order:
        order = await order_writes.change_status(
            info.context.dynamo,
            check_id("ord", input.order_id, "orderId"),
            input.status,
            _version(input.expected_version),
        )
        return Order.from_domain(order)

    @strawberry.mutation(
        description="Restores the stock of every line atomically with the status change. A customer cancels "
        "their own orders only.",
        extensions=allow(SIGNED_IN),
    )
    async def cancel_order(self, info: Info, order_id: strawberry.ID, expected_version: int) -> Order:
        identity = info.context.identity
        order = await order_writes.cancel_order(
            info.context.dynamo,
            check_id("ord", order_id, "orderId"),
            _version(expected_version),
            owner=None if identity.is_staff else identity.customer_id,
        )
        return Order.from_domain(order)

    @strawberry.mutation(
        description="The caller's review of a product (one per customer and product: CONFLICT); shown with "
        "their customer's name. Keeps the product's reviewCount and averageRating in the same transaction.",
        extensions=allow(CUSTOMERS_ONLY),
    )
    async def create_review(self, info: Info, input: CreateReviewInput) -> Review:
        customer_id = info.context.identity.customer_id
        if customer_id is None:
            raise NotFound("create your customer first (createCustomer)", field="customerId")
        review = await reviews.create(
            info.context.dynamo,
            customer_id,
            check_id("prd", input.product_id, "productId"),
            rating=check_range(input.rating, "rating", 1, 5),
            title=check_text(input.title, "title", reviews.MAX_TITLE_LENGTH),
            body=check_text(input.body, "body", reviews.MAX_BODY_LENGTH, multiline=True),
        )
        return Review.from_domain(review)

    @strawberry.mutation(
        description="A customer deletes their own reviews; staff and admins any.", extensions=allow(SIGNED_IN)
    )
    async def delete_review(self, info: Info, product_id: strawberry.ID, review_id: strawberry.ID) -> bool:
        identity = info.context.identity
        await reviews.delete(
            info.context.dynamo,
            check_id("prd", product_id, "productId"),
            check_id("rev", review_id, "reviewId"),
            author=None if identity.is_staff else identity.customer_id,
        )
        return True
