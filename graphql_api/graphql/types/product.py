"""The Product type (AP6, AP8): public, every field of the catalog."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.graphql.access import public
from graphql_api.graphql.types._domain import DomainType


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
    created_at: datetime
    updated_at: datetime
    version: int
