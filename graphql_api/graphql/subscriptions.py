"""The Subscription root (SPEC section 10): changes to orders and products, from the tables' streams.

Every change comes from DynamoDB Streams, so writes made by anyone (a mutation, a backfill, another
service, the console) reach subscribers. Access is checked when subscribing and again for every event,
against the identity of the connection's token (an order that moves to another customer, were that
possible, stops being sent). Once that token has expired no event is answered: the subscription ends and
the connection is closed with 4403 (graphql_api.graphql.connection, which also drops any message racing
the close). Each event is answered
with fresh loaders, so its nested fields (`items`, `items.product`) are read for that event, never taken
from an earlier one's cache: an orderChanged event with its items and their products costs 2 requests.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

import strawberry

from graphql_api.entity import Entity
from graphql_api.errors import Forbidden, NotFound, Unavailable
from graphql_api.graphql.access import EVERYONE, SIGNED_IN, STAFF, allow, follows_parent
from graphql_api.graphql.connection import ConnectionContext
from graphql_api.graphql.context import Info
from graphql_api.graphql.types.order import Order
from graphql_api.graphql.types.product import Product
from graphql_api.live.hub import Change
from graphql_api.repositories import orders, products
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.repositories.products import PRODUCTS
from graphql_api.validation import check_id, check_product_ids

T = TypeVar("T")


@follows_parent
@strawberry.type
class OrderChange:
    order: Order
    previous_status: OrderStatus | None = strawberry.field(description="null for a new order")


async def _changes(
    info: Info, entity: Entity[T], matches: Callable[[T, T | None], bool]
) -> AsyncGenerator[tuple[T, T | None], None]:
    """The writes of `entity` that match, as (item after, item before or None), each with fresh loaders.

    Deletions are not sent: no subscription asks for them (orders and products are never deleted).
    """
    live = info.context.live
    if live is None:
        raise Unavailable("live updates are not available on this endpoint")
    info.context.subscriptions_started += 1

    def wanted(change: Change[T]) -> bool:
        return change.new is not None and matches(change.new, change.old)

    async with live.hub.subscribe(entity, wanted) as subscriber:
        async for change in subscriber.changes():
            if change.new is None:
                continue
            if isinstance(info.context, ConnectionContext) and info.context.token_expired():
                return  # the connection's close code says why (no event is answered past the token's expiry)
            info.context.fresh_loaders()
            info.context.events_sent += 1
            yield change.new, change.old


@strawberry.type
class Subscription:
    @strawberry.subscription(
        description="Every change of one order: its owner, staff and admins.", extensions=allow(SIGNED_IN)
    )
    async def order_changed(self, info: Info, order_id: strawberry.ID) -> AsyncGenerator[Order, None]:
        wanted = check_id("ord", order_id, "orderId")
        current = await info.context.loaders.one(ORDERS, wanted)
        if current is None or not info.context.identity.may_see_customer(current.customer_id):
            raise NotFound("order not found", field="orderId")  # another customer's reads as missing

        def matches(new: orders.Order, old: orders.Order | None) -> bool:
            return new.order_id == wanted

        async for order, _ in _changes(info, ORDERS, matches):
            if info.context.identity.may_see_customer(order.customer_id):  # the token in force, for every event
                yield Order.from_domain(order)

    @strawberry.subscription(
        description="Staff and admins: every order change, or those that enter `status`.", extensions=allow(STAFF)
    )
    async def orders_changed(self, info: Info, status: OrderStatus | None = None) -> AsyncGenerator[OrderChange, None]:
        def matches(new: orders.Order, old: orders.Order | None) -> bool:
            entered = old is None or old.status is not new.status
            return status is None or (new.status is status and entered)

        async for order, before in _changes(info, ORDERS, matches):
            if not info.context.identity.is_staff:  # the rule again, against the token in force
                raise Forbidden("your role may not use this field")
            yield OrderChange(order=Order.from_domain(order), previous_status=before.status if before else None)

    @strawberry.subscription(
        description="Anyone: changes of these products (at most 100 ids).", extensions=allow(EVERYONE)
    )
    async def product_changed(self, info: Info, product_ids: list[strawberry.ID]) -> AsyncGenerator[Product, None]:
        wanted = set(check_product_ids(product_ids))

        def matches(new: products.Product, old: products.Product | None) -> bool:
            return new.product_id in wanted

        async for product, _ in _changes(info, PRODUCTS, matches):
            yield Product.from_domain(product)  # only the public fields of Product exist


__all__ = ["OrderChange", "Subscription"]
