"""Products: the catalog, listed by category in name order (CategoryIndex)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from graphql_api.clock import format_timestamp, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.repositories._paging import Listing, Page, Position, query_page
from graphql_api.tables import PRODUCTS

CATEGORY_INDEX = PRODUCTS.index("CategoryIndex")
CATEGORY_POSITION = PRODUCTS.position_attributes(CATEGORY_INDEX)


@dataclass(frozen=True)
class Product:
    product_id: str
    name: str
    description: str | None
    category: str
    price: Decimal
    currency: str
    stock: int
    created_at: datetime
    updated_at: datetime
    version: int


def product_key(product_id: str) -> tuple[str]:
    return (product_id,)


def to_item(product: Product) -> Item:
    return {
        "ProductId": product.product_id,
        "Name": product.name,
        "Description": product.description,
        "Category": product.category,
        "Price": product.price,
        "Currency": product.currency,
        "Stock": product.stock,
        "CreatedAt": format_timestamp(product.created_at),
        "UpdatedAt": format_timestamp(product.updated_at),
        "Version": product.version,
    }


def from_item(item: Item) -> Product:
    return Product(
        product_id=item["ProductId"],
        name=item["Name"],
        description=item.get("Description"),
        category=item["Category"],
        price=item["Price"],
        currency=item["Currency"],
        stock=int(item["Stock"]),
        created_at=parse_timestamp(item["CreatedAt"]),
        updated_at=parse_timestamp(item["UpdatedAt"]),
        version=int(item["Version"]),
    )


async def list_by_category(
    dynamo: Dynamo, category: str, *, first: int, after: Position | None, read_budget: int
) -> Page[Product]:
    """AP8: Query CategoryIndex in name order."""
    listing = Listing(
        table=PRODUCTS,
        index=CATEGORY_INDEX,
        key_condition="Category = :category",
        values={":category": category},
    )
    return await query_page(dynamo, listing, first=first, after=after, read_budget=read_budget, from_item=from_item)
