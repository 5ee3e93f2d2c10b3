"""The Product type and its connection (AP6, AP8)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.graphql.access import public
from graphql_api.graphql.pagination import PageInfo, edges_and_page_info
from graphql_api.repositories import products
from graphql_api.repositories._paging import Page


@public
@strawberry.type
class Product:
    product_id: strawberry.ID
    name: str
    description: str | None
    category: str
    price: Decimal
    currency: str
    stock: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_domain(cls, product: products.Product) -> Product:
        return cls(
            product_id=strawberry.ID(product.product_id),
            name=product.name,
            description=product.description,
            category=product.category,
            price=product.price,
            currency=product.currency,
            stock=product.stock,
            created_at=product.created_at,
            updated_at=product.updated_at,
            version=product.version,
        )


@public
@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@public
@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[products.Product], secrets: Sequence[str], listing: str) -> ProductConnection:
        edges, page_info = edges_and_page_info(page, secrets, listing)
        return cls(
            edges=[ProductEdge(cursor=cursor, node=Product.from_domain(product)) for product, cursor in edges],
            page_info=page_info,
        )
