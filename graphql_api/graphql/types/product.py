"""The Product type (AP6, AP8): public, every field of the catalog, its reviews (AP9) and their average."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.graphql.access import public
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, paginate
from graphql_api.graphql.types._domain import DomainType
from graphql_api.graphql.types.review import Review
from graphql_api.money import CENT
from graphql_api.repositories import products, reviews


@public
@strawberry.type
class Product(DomainType):
    product_id: strawberry.ID
    name: str
    description: str | None
    category: str
    price: Decimal
    currency: str
    stock: int
    review_count: int = strawberry.field(description="Kept in each review's transaction, never counted.")
    created_at: datetime
    updated_at: datetime
    version: int
    _domain: strawberry.Private[products.Product]

    @strawberry.field(description="The mean rating, to two places; null before the first review.")
    def average_rating(self) -> Decimal | None:
        if not self._domain.review_count:
            return None
        return (Decimal(self._domain.rating_sum) / self._domain.review_count).quantize(CENT)

    @strawberry.field(description="AP9: newest first.")
    async def reviews(
        self, info: Info, first: int | None = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Review]:
        return await paginate(
            info,
            reviews.OF_PRODUCT,
            self.product_id,
            Review.from_domain,
            first=first,
            after=after,
            total_count=self.review_count,
        )
