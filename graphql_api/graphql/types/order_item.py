"""The OrderItem type: one line of an order, with its product loaded in batch (AP6)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.types._domain import DomainType
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

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        product = await info.context.loaders.one(PRODUCTS, self.product_id)
        return Product.from_domain(product) if product else None
