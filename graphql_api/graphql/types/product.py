"""The Product type and its connection (AP6, AP8)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.graphql.pagination import PageInfo, edges_and_page_info
from graphql_api.repositories import products
from graphql_api.repositories._paging import Page


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


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Page[products.Product], secret: str, listing: str) -> ProductConnection:
        edges, page_info = edges_and_page_info(page, secret, listing)
        return cls(
            edges=[ProductEdge(cursor=cursor, node=Product.from_domain(product)) for product, cursor in edges],
            page_info=page_info,
        )
