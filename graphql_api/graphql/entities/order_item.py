"""The OrderItem type: one line of an order, with its product loaded in batch (AP6)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.entities._related import related_object
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.product import Product
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.products import PRODUCTS


@follows_parent
@strawberry.type
class OrderItem(DomainType):
    order_id: strawberry.ID
    item_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    _product: strawberry.Private[Prefetched[Product | None] | None] = dataclasses.field(default=None, init=False)
    """Loaded ahead with the page's other products (graphql_api.graphql.entities.order.prefetch_lines)."""

    product = related_object(PRODUCTS, "product_id", Product, prefetched="_product")


ROOTS = Roots(ORDER_ITEMS)
"""Lines are reached through their order: no root field of their own."""
