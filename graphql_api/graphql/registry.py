"""Every entity the API serves, listed once: its GraphQL module's ROOTS, which names its declaration.

This is the one list a new entity adds a line to. Everything else reads it: the schema's root types
(graphql_api.graphql.schema), the fields an entity adds to others' types, and, through `DECLARED`, what is
derived from the declarations: `tables create|verify`, the Terraform data, the IAM grants, the ERD,
`validate`'s invariants, the `check-patterns` rows and the tests. An entity comes after those it refers to
(an order after its customer and products, a review after its product), and so do its root fields.
"""

from __future__ import annotations

from typing import Any

from graphql_api.entity import Entity, Listing
from graphql_api.graphql.entities import audit, cart, customer, order, order_item, product, review, stats
from graphql_api.graphql.entities._roots import Roots
from graphql_api.live import leases
from graphql_api.migration import phase as migration_phase
from graphql_api.repositories import rate_limits
from graphql_api.repositories._access import DECLARED_ACCESS, DeclaredAccess
from graphql_api.tables import Table

ENTITIES: tuple[Roots, ...] = (
    customer.ROOTS,
    product.ROOTS,
    order.ROOTS,
    order_item.ROOTS,
    review.ROOTS,
    cart.ROOTS,
    stats.ROOTS,
    audit.ROOTS,
)

for _roots in ENTITIES:
    _roots.register()

DECLARED: tuple[Entity[Any], ...] = tuple(roots.entity for roots in ENTITIES)
"""Every declared entity, in the order the tables, pages and reports list them."""

DATA_ENTITIES: tuple[Entity[Any], ...] = tuple(table for entity in DECLARED for table in (entity, *entity.guards))
"""The entities and the guard tables their `unique` fields derive: the API's data (what `export` writes)."""
SERVICE_ENTITIES: tuple[Entity[Any], ...] = (rate_limits.RATE_LIMITS, leases.SHARD_LEASES, migration_phase.MIGRATION)
"""Tables the service keeps for itself, no part of the API's data: the rate limits' counters (client addresses
and subjects, kept a window or two: not exported), the live-updates relays' shard leases and the single-table
migration's phase."""

ALL_ENTITIES: tuple[Entity[Any], ...] = (*DATA_ENTITIES, *SERVICE_ENTITIES)
"""Every table: created, verified, provisioned by Terraform, granted and checked by `validate`."""
ALL_TABLES: tuple[Table, ...] = tuple(entity.table for entity in ALL_ENTITIES)

LISTINGS: tuple[Listing[Any], ...] = tuple(listing for entity in ALL_ENTITIES for listing in entity.listings)
"""Every declared listing (one Query shape per access pattern): the IAM Query grants and the pattern rows."""

SAMPLES: dict[str, str] = {pattern: text for roots in ENTITIES for pattern, text in roots.samples.items()}
"""The GraphQL document exercising each declared listing, by access pattern (`check-patterns`)."""

WRITES: tuple[DeclaredAccess, ...] = tuple(DECLARED_ACCESS)
"""What each repository function does to DynamoDB, declared beside it (`@uses`, made as the entity modules
above import their repositories): the IAM grants of the writes."""


def table_named(name: str) -> Table:
    for table in ALL_TABLES:
        if table.name.lower() == name.lower():
            return table
    raise KeyError(name)
