"""Products: the catalog, listed by category in name order (CategoryIndex)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from graphql_api import ids
from graphql_api.clock import format_timestamp, now, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.dynamo.transactions import TransactionCancelled, write
from graphql_api.errors import Conflict
from graphql_api.money import money
from graphql_api.repositories._paging import Listing, Page, Position, query_page
from graphql_api.repositories._writes import check_version, get_item, put_new, versioned_update
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
        price=money(item["Price"]),
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


async def create(
    dynamo: Dynamo, *, name: str, description: str | None, category: str, price: Decimal, currency: str, stock: int
) -> Product:
    at = now()
    product = Product(
        product_id=ids.new_id("prd"),
        name=name,
        description=description,
        category=category,
        price=price,
        currency=currency,
        stock=stock,
        created_at=at,
        updated_at=at,
        version=1,
    )
    await write(dynamo, [put_new(dynamo, PRODUCTS, to_item(product))])
    return product


async def update(dynamo: Dynamo, product_id: str, expected_version: int, changes: ProductChanges) -> Product:
    current = from_item(
        check_version(await get_item(dynamo, PRODUCTS, product_key(product_id)), expected_version, "product")
    )
    at = now()
    given: dict[str, Any] = {
        field: value
        for field, value in (
            ("name", changes.name),
            ("category", changes.category),
            ("price", changes.price),
            ("currency", changes.currency),
            ("stock", changes.stock),
            ("description", changes.description),
        )
        if value is not None
    }
    if changes.clear_description:
        given["description"] = None
    changed = replace(current, **given, updated_at=at, version=current.version + 1)
    item = to_item(changed)
    attributes = ("Name", "Description", "Category", "Price", "Currency", "Stock")
    try:
        await write(
            dynamo,
            [
                versioned_update(
                    dynamo,
                    PRODUCTS,
                    product_key(product_id),
                    at=at,
                    expected_version=expected_version,
                    set_values={attribute: item[attribute] for attribute in attributes},
                )
            ],
        )
    except TransactionCancelled:
        check_version(await get_item(dynamo, PRODUCTS, product_key(product_id)), expected_version, "product")
        raise Conflict("product changed concurrently; retry") from None
    return changed
