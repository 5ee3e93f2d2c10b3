"""The entities, one module each: its dataclass and declaration (graphql_api.entity), its listings and writes.

`DECLARED` lists every entity's declaration, once and by name, so that a reader and a type checker follow it to
its module (no import-time discovery); `ALL_ENTITIES` adds the guard tables each declaration derives (its
`unique` fields). `ALL_ENTITIES` and their `ALL_TABLES` are what `tables create|verify`, the loaders, the
pattern checks, the Terraform data, the IAM grants, `validate` and the tests read. A new entity is a new module
and one line here.
"""

from __future__ import annotations

from typing import Any

from graphql_api.entity import Entity, Listing
from graphql_api.repositories import carts, customers, order_items, order_writes, orders, products, reviews
from graphql_api.repositories._access import DECLARED_ACCESS, DeclaredAccess
from graphql_api.tables import Table

DECLARED: tuple[Entity[Any], ...] = (
    customers.CUSTOMERS,
    order_items.ORDER_ITEMS,
    orders.ORDERS,
    products.PRODUCTS,
    reviews.REVIEWS,
    carts.CARTS,
)
"""Every declared entity, in the order the tables, pages and reports list them."""

ALL_ENTITIES: tuple[Entity[Any], ...] = tuple(table for entity in DECLARED for table in (entity, *entity.guards))
ALL_TABLES: tuple[Table, ...] = tuple(entity.table for entity in ALL_ENTITIES)

LISTINGS: tuple[Listing[Any], ...] = tuple(listing for entity in ALL_ENTITIES for listing in entity.listings)
"""Every declared listing (one Query shape per access pattern): the IAM Query grants and the pattern rows."""


WRITING_MODULES = (customers, order_writes, products, reviews, carts)
"""The modules whose functions write; their `@uses` declarations are made as they are imported, above."""
WRITES: tuple[DeclaredAccess, ...] = tuple(DECLARED_ACCESS)
"""What each repository function does to DynamoDB, declared beside it (`@uses`): the IAM grants of the writes."""


def table_named(name: str) -> Table:
    for table in ALL_TABLES:
        if table.name.lower() == name.lower():
            return table
    raise KeyError(name)
