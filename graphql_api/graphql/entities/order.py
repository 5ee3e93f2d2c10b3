"""Orders (AP1, AP4, AP5, AP7): the Order type with its customer and lines, its queries, mutations and changes."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Annotated, cast

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.auth.identity import Identity
from graphql_api.errors import BadUserInput, Forbidden, NotFound
from graphql_api.graphql.access import SIGNED_IN, STAFF, allow, follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._inputs import check_version, own_customer
from graphql_api.graphql.entities._listed import filtered_list, listed
from graphql_api.graphql.entities._live import INITIAL_ARGUMENT, Initial, watch
from graphql_api.graphql.entities._node import Node
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.entities._related import load_one, related_object
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.order_item import OrderItem
from graphql_api.graphql.entities.product import Product
from graphql_api.graphql.fields import mutation, query, subscription
from graphql_api.graphql.pagination import Connection
from graphql_api.graphql.price import costs
from graphql_api.graphql.selection import selected
from graphql_api.repositories import carts, order_writes, orders
from graphql_api.repositories.counters import ORDERS_BY_STATUS
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import MAX_LINES, ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.repositories.products import PRODUCTS
from graphql_api.validation import check_idempotency_key, check_range

MAX_QUANTITY = 1000

# The domain enum is the GraphQL enum: strawberry.enum registers it in place.
strawberry.enum(OrderStatus)


@follows_parent
@strawberry.type
class Order(DomainType, Node):
    order_id: strawberry.ID
    customer_id: strawberry.ID
    status: OrderStatus
    order_date: datetime
    total: Decimal
    currency: str
    item_count: int
    version: int
    _domain: strawberry.Private[orders.Order]

    # Lazy: the customer module shows this type in Customer.orders.
    customer = related_object(CUSTOMERS, "customer_id", LazyType("Customer", "graphql_api.graphql.entities.customer"))

    _lines: strawberry.Private[Prefetched[list[OrderItem]] | None] = dataclasses.field(default=None, init=False)
    """Loaded ahead with the rest of the page's lines (prefetch_lines)."""

    @strawberry.field(metadata=costs("load", MAX_LINES))
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


@follows_parent
@strawberry.type
class OrderChange:
    order: Order
    previous_status: OrderStatus | None = strawberry.field(description="null for a new order")


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    items: list[OrderLineInput] | None = strawberry.field(default=None, description="The lines; or fromCart.")
    from_cart: bool | None = strawberry.field(
        default=None,
        description=f"true: the caller's cart's lines (1 to {MAX_LINES}) are the order's, and the cart is emptied in "
        "the same transaction. A line whose product is gone is NOT_FOUND naming it, and nothing is written.",
    )
    idempotency_key: str | None = strawberry.field(
        default=None, description="The same key for the same customer returns the same order, writing nothing new."
    )
    customer_id: strawberry.ID | None = strawberry.field(
        default=None, description="Omitted: the caller's own customer. Staff and admins must name one."
    )


@strawberry.input
class UpdateOrderStatusInput:
    order_id: strawberry.ID
    status: OrderStatus
    expected_version: int


def _lines(items: list[OrderLineInput]) -> list[order_writes.OrderLine]:
    if not 1 <= len(items) <= MAX_LINES:
        raise BadUserInput("items", f"an order has 1 to {MAX_LINES} lines, got {len(items)}")
    seen: set[str] = set()
    lines = []
    for n, item in enumerate(items):
        product_id = PRODUCTS.check_id(item.product_id, f"items[{n}].productId")
        if product_id in seen:
            # Rejected, not merged: a product twice in one order is almost always a client bug.
            raise BadUserInput(f"items[{n}].productId", "this product is already in the order: combine the quantities")
        seen.add(product_id)
        lines.append(
            order_writes.OrderLine(product_id, check_range(item.quantity, f"items[{n}].quantity", 1, MAX_QUANTITY))
        )
    return lines


async def _place_from_cart(info: Info, customer_id: str, key: str | None) -> Order:
    """The caller's cart as the order (the cart is a customer's own: staff and admins have none)."""
    if info.context.identity.customer_id != customer_id:
        raise Forbidden("only a customer orders from a cart, their own")
    dynamo = info.context.dynamo
    cart = await carts.lines(dynamo, customer_id)
    if not cart:
        # A replay of a placement that emptied the cart: its order (by the key), writing nothing.
        placed = None if key is None else await order_writes.placed_with_key(dynamo, customer_id, key)
        if placed is None:
            raise BadUserInput("fromCart", "the cart is empty")
        return Order.from_domain(placed)
    if len(cart) > MAX_LINES:
        # Its lines, their products and the cart's deletes must fit one transaction (100 actions).
        raise BadUserInput("fromCart", f"an order has at most {MAX_LINES} lines, the cart has {len(cart)}")
    lines = [order_writes.OrderLine(line.product_id, line.quantity) for line in cart]
    placement = await order_writes.place_order(dynamo, customer_id, lines, key, cart=cart, lines_field="fromCart")
    if placement.lines is not None:
        info.context.loaders.prime(ORDER_ITEMS, placement.lines)
    return Order.from_domain(placement.order)


def _ordering_customer(identity: Identity, customer_id: strawberry.ID | None) -> str:
    if customer_id is not None:
        return own_customer(identity, CUSTOMERS.check_id(customer_id, "customerId"))
    if identity.is_staff or identity.customer_id is None:
        raise BadUserInput("customerId", "name the customer the order is for")
    return identity.customer_id


@strawberry.type
class OrderQuery:
    @query(SIGNED_IN, costs("load"), "AP4: an order by id; null if there is none (or it is another customer's).")
    async def order(self, info: Info, order_id: strawberry.ID) -> Order | None:
        order = await load_one(info, ORDERS, ORDERS.check_id(order_id, "orderId"), Order)
        if order is None or not info.context.identity.may_see_customer(order.customer_id):
            return None
        return order

    orders_by_status = listed(
        orders.BY_STATUS,
        Order,
        partition=("status", OrderStatus),
        within=("placed_after", "placed_before"),
        total_count=ORDERS_BY_STATUS,
        finish=prefetch_lines,
        description="AP7: orders in a status, newest first; placedAfter is inclusive, placedBefore exclusive.",
        extensions=allow(STAFF),
    )

    list_orders = filtered_list(ORDERS, Order, STAFF, finish=prefetch_lines)


@strawberry.type
class OrderMutation:
    @mutation(
        SIGNED_IN,
        costs("write", 4),
        (
            "Atomic: the order, its lines and every stock decrement (from the cart: and the cart emptied), "
            "or nothing. A customer orders for their own customer only; staff and admins for any, not from a cart."
        ),
    )
    async def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        customer_id = _ordering_customer(info.context.identity, input.customer_id)
        key = None if input.idempotency_key is None else check_idempotency_key(input.idempotency_key)
        if input.from_cart:
            if input.items is not None:
                raise BadUserInput("items", "give items or fromCart, not both")
            return await _place_from_cart(info, customer_id, key)
        placement = await order_writes.place_order(info.context.dynamo, customer_id, _lines(input.items or []), key)
        if placement.lines is not None:
            info.context.loaders.prime(ORDER_ITEMS, placement.lines)  # the answer's items cost no read
        return Order.from_domain(placement.order)

    @mutation(STAFF, costs("write", 4), "PENDING -> PAID -> SHIPPED -> DELIVERED; PENDING or PAID -> CANCELLED.")
    async def update_order_status(self, info: Info, input: UpdateOrderStatusInput) -> Order:
        order = await order_writes.change_status(
            info.context.dynamo,
            ORDERS.check_id(input.order_id, "orderId"),
            input.status,
            check_version(input.expected_version),
        )
        return Order.from_domain(order)

    @mutation(
        SIGNED_IN,
        costs("write", 4),
        (
            "Restores the stock of every line atomically with the status change. A customer cancels "
            "their own orders only."
        ),
    )
    async def cancel_order(self, info: Info, order_id: strawberry.ID, expected_version: int) -> Order:
        identity = info.context.identity
        order = await order_writes.cancel_order(
            info.context.dynamo,
            ORDERS.check_id(order_id, "orderId"),
            check_version(expected_version),
            owner=None if identity.is_staff else identity.customer_id,
        )
        return Order.from_domain(order)


@strawberry.type
class OrderSubscription:
    @subscription(SIGNED_IN, costs("plain"), "Every change of one order: its owner, staff and admins.")
    async def order_changed(
        self, info: Info, order_id: strawberry.ID, initial: Annotated[bool, INITIAL_ARGUMENT] = False
    ) -> AsyncGenerator[Order, None]:
        wanted = ORDERS.check_id(order_id, "orderId")
        current = await info.context.loaders.one(ORDERS, wanted)
        if current is None or not info.context.identity.may_see_customer(current.customer_id):
            raise NotFound("order not found", field="orderId")  # another customer's reads as missing

        def matches(new: orders.Order, old: orders.Order | None) -> bool:
            return new.order_id == wanted

        async def now() -> list[orders.Order]:
            found = await info.context.loaders.one(ORDERS, wanted)
            return [found] if found else []

        state = Initial(now, lambda order: order.version) if initial else None
        async for order, _ in watch(info, ORDERS, matches, state):
            if info.context.identity.may_see_customer(order.customer_id):  # the token in force, for every event
                yield Order.from_domain(order)

    @subscription(STAFF, costs("plain"), "Staff and admins: every order change, or those that enter `status`.")
    async def orders_changed(self, info: Info, status: OrderStatus | None = None) -> AsyncGenerator[OrderChange, None]:
        def matches(new: orders.Order, old: orders.Order | None) -> bool:
            entered = old is None or old.status is not new.status
            return status is None or (new.status is status and entered)

        async for order, before in watch(info, ORDERS, matches):
            if not info.context.identity.is_staff:  # the rule again, against the token in force
                raise Forbidden("your role may not use this field")
            yield OrderChange(order=Order.from_domain(order), previous_status=before.status if before else None)


ROOTS = Roots(
    orders.ORDERS,
    query=OrderQuery,
    mutation=OrderMutation,
    subscription=OrderSubscription,
    samples={
        "AP3": "query($c: ID!) { customer(customerId: $c) { orders(first: 5) { edges { node { orderId } } } } }",
        "AP7": "query($s: OrderStatus!) { ordersByStatus(status: $s, first: 5) { edges { node { orderId } } } }",
    },
)
