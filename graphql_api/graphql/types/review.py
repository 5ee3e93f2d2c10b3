"""The Review type: public, like the product it is about (AP9, AP10)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Annotated

import strawberry

from graphql_api.graphql.access import public
from graphql_api.graphql.context import Info
from graphql_api.graphql.types._domain import DomainType
from graphql_api.repositories.products import PRODUCTS

if TYPE_CHECKING:
    from graphql_api.graphql.types.product import Product


@public
@strawberry.type
class Review(DomainType):
    review_id: strawberry.ID
    product_id: strawberry.ID
    author_name: str = strawberry.field(description="The author's name when the review was written.")
    rating: int = strawberry.field(description="1 to 5.")
    title: str
    body: str
    created_at: datetime

    @strawberry.field
    async def product(
        self, info: Info
    ) -> Annotated[Product, strawberry.lazy("graphql_api.graphql.types.product")] | None:
        from graphql_api.graphql.types.product import Product

        product = await info.context.loaders.one(PRODUCTS, self.product_id)
        return Product.from_domain(product) if product else None
