"""The OrderItem type: one line of an order, with its product loaded in batch (AP6)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from typing import cast

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.types._domain import DomainType
from graphql_api.graphql.types._prefetched import Prefetched
from graphql_api.graphql.types.product import Product
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
    """Loaded ahead with the page's other products (graphql_api.graphql.types.order.prefetch_lines)."""

    @strawberry.field
    def product(self, info: Info) -> Product | None:
        if self._product is not None:
            return self._product.value()
        # A coroutine: graphql-core awaits what a resolver returns, a plain value it takes as it is.
        return cast("Product | None", self._load_product(info))

    async def _load_product(self, info: Info) -> Product | None:
        product = await info.context.loaders.one(PRODUCTS, self.product_id)
        return Product.from_domain(product) if product else None
