"""The OrderItem type: one line of an order, with its product loaded in batch (AP6)."""

from __future__ import annotations

from decimal import Decimal

import strawberry

from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.types.product import Product
from graphql_api.repositories import order_items


@follows_parent
@strawberry.type
class OrderItem:
    order_id: strawberry.ID
    item_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        product = await info.context.loaders.product(self.product_id)
        return Product.from_domain(product) if product else None

    @classmethod
    def from_domain(cls, line: order_items.OrderItem) -> OrderItem:
        return cls(
            order_id=strawberry.ID(line.order_id),
            item_id=strawberry.ID(line.item_id),
            product_id=strawberry.ID(line.product_id),
            quantity=line.quantity,
            unit_price=line.unit_price,
            line_total=line.line_total,
        )
