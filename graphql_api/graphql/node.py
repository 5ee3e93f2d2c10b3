"""`Query.node(id:)` (Relay's Global Object Identification): any node by its global id, under the rule of the
entity's own root field (SPEC 9). No entity's part (graphql_api.graphql.registry): it reads them all, and the
schema adds it to Query after theirs.

A customer or an order: signed in (anonymous is UNAUTHENTICATED), and another customer's reads as null, decided
from the token before any request where it can be (a customer's id), as `customer` and `order` decide it. A
product or a review: anyone. A global id that is not one is BAD_USER_INPUT naming `id`, at no cost.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import strawberry

from graphql_api.graphql.access import EVERYONE, SIGNED_IN, Allow
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._node import Node, parse_global_id
from graphql_api.graphql.entities._related import load_one
from graphql_api.graphql.entities.customer import Customer
from graphql_api.graphql.entities.order import Order
from graphql_api.graphql.entities.product import Product
from graphql_api.graphql.entities.review import Review
from graphql_api.graphql.fields import query
from graphql_api.graphql.price import costs
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS

_SIGNED_IN = Allow(SIGNED_IN)


async def _customer(info: Info, key: tuple[str, ...]) -> Customer | None:
    _SIGNED_IN.check(info.context.identity)
    (customer_id,) = key
    if not info.context.identity.may_see_customer(customer_id):
        return None  # as `customer`: another customer's id reads as missing, at no cost
    return await load_one(info, CUSTOMERS, customer_id, Customer)


async def _order(info: Info, key: tuple[str, ...]) -> Order | None:
    _SIGNED_IN.check(info.context.identity)
    order = await load_one(info, ORDERS, key[0], Order)
    if order is None or not info.context.identity.may_see_customer(order.customer_id):
        return None
    return order


async def _product(info: Info, key: tuple[str, ...]) -> Product | None:
    return await load_one(info, PRODUCTS, key[0], Product)


async def _review(info: Info, key: tuple[str, ...]) -> Review | None:
    found = await info.context.loaders.one(REVIEWS, *key)
    return Review.from_domain(found) if found else None


_READERS: dict[str, Callable[[Info, tuple[str, ...]], Awaitable[Any]]] = {
    "Customer": _customer,
    "Order": _order,
    "Product": _product,
    "Review": _review,
}


@strawberry.type
class NodeQuery:
    @query(
        EVERYONE,
        costs("load"),
        (
            "Any object by its global id (its `id` field), under the rule of its own root field: another "
            "customer's customer or order is null, and so is an id of nothing."
        ),
    )
    async def node(self, info: Info, id: strawberry.ID) -> Node | None:
        type_name, key = parse_global_id(id)
        node: Node | None = await _READERS[type_name](info, key)
        return node
