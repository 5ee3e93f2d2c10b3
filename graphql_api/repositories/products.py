"""Products: the catalog, listed by category in name order (CategoryIndex, AP8)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity
from graphql_api.money import Money
from graphql_api.repositories import counters
from graphql_api.repositories._access import uses
from graphql_api.repositories._stamp import Stamp
from graphql_api.repositories._writes import commit, created, get_at_version, insert, stale, versioned_update


@dataclass(frozen=True, kw_only=True)
class Product:
    product_id: str
    name: str
    description: str | None = None
    category: str
    price: Money
    currency: str
    stock: int
    review_count: int = 0
    rating_sum: int = 0
    """With review_count, kept in each review's transaction: the average rating is their quotient."""
    created_at: datetime
    updated_at: datetime
    version: int
    updated_by: Stamp | None = None
    """Who wrote it last through the API (graphql_api.repositories._stamp): the audit trail's actor."""


PRODUCTS = Entity(
    Product,
    "Products",
    key=("product_id",),
    id_prefix="prd",
    indexes={"CategoryIndex": ("category", "name")},
    stream="NEW_AND_OLD_IMAGES",  # productChanged (graphql_api.live); the audit trail
    filterable=("price", "stock", "currency", "review_count"),  # beyond its listings' keys (graphql_api.planner)
)
BY_CATEGORY = PRODUCTS.listing("CategoryIndex", pattern="AP8", purpose="Products of a category")
"""AP8: the products of a category in name order."""


@dataclass(frozen=True)
class ProductChanges:
    """What updateProduct changes: None leaves a field as it is (`description` uses `clear_description`)."""

    name: str | None = None
    description: str | None = None
    clear_description: bool = False
    category: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None

    def given(self) -> dict[str, Any]:
        """The fields to set: those given, and a description of None when it is cleared."""
        fields = ("name", "category", "price", "currency", "stock", "description")
        given = {name: getattr(self, name) for name in fields if getattr(self, name) is not None}
        if self.clear_description:
            given["description"] = None
        return given


@uses(
    "One transaction: a create-only put and its category's counter.",
    PutItem=PRODUCTS,
    UpdateItem=counters.COUNTERS,
)
async def create(
    dynamo: Dynamo, *, name: str, description: str | None, category: str, price: Decimal, currency: str, stock: int
) -> Product:
    at = now()
    product = Product(
        product_id=PRODUCTS.new_id(),
        name=name,
        description=description,
        category=category,
        price=price,
        currency=currency,
        stock=stock,
        **created(at),
    )
    return await insert(dynamo, PRODUCTS, product, counters.add(counters.PRODUCTS_BY_CATEGORY, category, 1))


@uses(
    "Read the product at its version, then a versioned update (with a new category, in one transaction with both "
    "categories' counters).",
    GetItem=PRODUCTS,
    UpdateItem=(PRODUCTS, counters.COUNTERS),
)
async def update(dynamo: Dynamo, product_id: str, expected_version: int, changes: ProductChanges) -> Product:
    key = PRODUCTS.key(product_id)
    current = await get_at_version(dynamo, PRODUCTS, key, expected_version)
    at = now()
    given = changes.given()
    changed = replace(current, **given, updated_at=at, version=current.version + 1)
    await commit(
        dynamo,
        versioned_update(
            PRODUCTS,
            key,
            at=at,
            expected_version=expected_version,
            set_fields=given,
            fails_with=stale("product", expected_version),
        ),
        # The version condition holds the category read above: the counters move from the one it left.
        *counters.moved(counters.PRODUCTS_BY_CATEGORY, current.category, changed.category),
    )
    return changed
