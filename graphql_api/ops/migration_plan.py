"""`graphql-api migrate plan`: every entity's key shape and every access pattern's key condition in the
single-table layout (graphql_api.ops.single_table), with each pattern's DynamoDB requests in both layouts.

The faux-SQL count is the pattern's operation shape (SPEC section 3: one Query, or one BatchGetItem for up to 100
keys); `--measure` adds what `check-patterns` measures on the configured endpoint (its sample GraphQL operation,
which may read a parent first). The single-table count is derived from where the layout puts the items.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_api.entity import Entity, Listing
from graphql_api.graphql.registry import LISTINGS
from graphql_api.ops.patterns import PATTERNS, Pattern
from graphql_api.ops.single_table import Layout, Placement, Segment, Shape, render
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS

BY_KEY_ENTITIES: dict[str, tuple[Entity[Any], Entity[Any] | None]] = {
    "AP1": (CUSTOMERS, None),
    "AP4": (ORDERS, None),
    "AP5": (ORDER_ITEMS, ORDERS),
    "AP6": (PRODUCTS, None),
    "AP11": (CUSTOMERS, None),
}
"""The patterns served by key (patterns.BY_KEY: no listing names their entity): what each reads, and for a
pattern reading the children of one item (an order's lines), that item's entity."""

CANONICAL = ("AP1", "AP3", "AP5", "AP6")
"""The canonical query's patterns (graphql_api.cli.queries): a customer, their orders, the orders' lines, the
lines' products."""


@dataclass(frozen=True)
class PatternPlan:
    number: str
    name: str
    faux_sql: str
    faux_sql_requests: int
    single_table: str
    single_table_requests: int
    note: str = ""


def _prefix(shape: Shape, own: set[str]) -> str:
    """The literal part of a sort key before the listing's own attributes: a `begins_with` prefix."""
    parts: list[str] = []
    for segment in shape:
        if segment.attribute in own and segment.owner is None:
            break
        parts.append(segment.text())
    return "#".join(parts) + "#"


def _listing_plan(layout: Layout, pattern: Pattern, listing: Listing[Any]) -> PatternPlan:
    entity = listing.entity
    placement = layout.placement(entity)
    index = listing.index
    direction = ", descending" if listing.newest_first else ""
    faux = f"Query {entity.table.name}{'.' + index.name if index else ''}{direction}"
    if index is None or index.name == placement.placed_by:
        range_attributes = {key.name for key in (index.keys[1:] if index else entity.table.keys[1:])}
        condition = (
            f"PK={render(placement.home.pk)} AND begins_with(SK, {_prefix(placement.home.sk, range_attributes)})"
        )
        note = ""
        if layout.by_tag.get(placement.tag) and _has_children_inside(layout, placement):
            note = "reads the items' children sorted inside the range too (an order's lines): more read units"
        return PatternPlan(pattern.number, pattern.name, faux, 1, f"Query{direction} {condition}", 1, note)
    number = placement.gsi_for(index.name)
    shape = placement.gsis[(number or 1) - 1][0]
    condition = f"GSI{number}PK={render(shape.pk)}"
    return PatternPlan(pattern.number, pattern.name, faux, 1, f"Query GSI{number}{direction} {condition}", 1)


def _has_children_inside(layout: Layout, placement: Placement) -> bool:
    return any(other.parent is placement.entity and other.placed_by == "key" for other in layout.placements.values())


def _by_key_plan(layout: Layout, pattern: Pattern) -> PatternPlan:
    entity, parent = BY_KEY_ENTITIES[pattern.number]
    placement = layout.placement(entity)
    if parent is not None:
        number = placement.gsi_for("key")
        faux = f"BatchGetItem {entity.table.name} on derivable keys, or one Query per {parent.table.name} item"
        if number is None:
            condition = f"Query PK={render(placement.home.pk)}"
            return PatternPlan(pattern.number, pattern.name, faux, 1, condition, 1)
        shape = placement.gsis[number - 1][0]
        condition = (
            f"Query GSI{number} GSI{number}PK={render(shape.pk)} AND begins_with(GSI{number}SK, {placement.tag}#)"
        )
        return PatternPlan(
            pattern.number, pattern.name, faux, 1, condition, 1, f"one Query per {parent.table.name} item"
        )
    faux = f"BatchGetItem {entity.table.name}"
    if placement.by_key:
        return PatternPlan(pattern.number, pattern.name, faux, 1, f"BatchGetItem {placement.home.text()}", 1)
    number = placement.gsi_for("key")
    shape = placement.gsis[(number or 1) - 1][0]
    condition = f"Query GSI{number} GSI{number}PK={render(shape.pk)}"
    return PatternPlan(
        pattern.number, pattern.name, faux, 1, condition, 1, "one Query per key (a BatchGetItem in faux-SQL)"
    )


def pattern_plans(layout: Layout) -> list[PatternPlan]:
    """Every access pattern (check-patterns' list, AP1 ...) in both layouts."""
    listings = {listing.pattern: listing for listing in LISTINGS}
    plans = []
    for pattern in PATTERNS:
        if pattern.number in listings:
            plans.append(_listing_plan(layout, pattern, listings[pattern.number]))
        elif pattern.number in BY_KEY_ENTITIES:
            plans.append(_by_key_plan(layout, pattern))
        else:
            raise LookupError(f"{pattern.number}: neither a declared listing nor in BY_KEY_ENTITIES")
    return plans


def _collection(placement: Placement) -> tuple[str | None, ...]:
    """A PK's shape whoever's attribute fills it: items with equal ones can share a collection."""
    return tuple(segment.literal if segment.literal is not None else segment.attribute for segment in placement.home.pk)


def _same_collection(layout: Layout, entity: Entity[Any], owner: Entity[Any]) -> bool:
    """Whether `entity`'s items sit in the collection of their `owner` (the customer of an order's lines)."""
    return _collection(layout.placement(entity)) == _collection(layout.placement(owner))


@dataclass(frozen=True)
class CanonicalPlan:
    faux_sql_requests: int
    single_table_requests: int
    single_table: tuple[str, ...]


def canonical_plan(layout: Layout, plans: list[PatternPlan]) -> CanonicalPlan:
    """The canonical query in both layouts: one request per pattern in faux-SQL; in the single table the
    customer's collection answers the customer, orders and lines that sit in it with one Query."""
    by_number = {plan.number: plan for plan in plans}
    faux = sum(by_number[number].faux_sql_requests for number in CANONICAL)
    inside = [CUSTOMERS] + [entity for entity in (ORDERS, ORDER_ITEMS) if _same_collection(layout, entity, CUSTOMERS)]
    outside = [number for number, entity in (("AP3", ORDERS), ("AP5", ORDER_ITEMS)) if entity not in inside]
    home = layout.placement(CUSTOMERS).home
    steps = [
        f"Query, descending, PK={render(home.pk)}: the customer, {', '.join(e.table.name for e in inside[1:])} "
        "(until the page's orders are read)",
        *(by_number[number].single_table for number in outside),
        by_number["AP6"].single_table,
    ]
    requests = 1 + sum(by_number[number].single_table_requests for number in outside) + 1
    return CanonicalPlan(faux, requests, tuple(steps))


def plan_lines(layout: Layout, measured: dict[str, int] | None = None) -> list[str]:
    """The text `migrate plan` prints."""
    lines = [f"single table {layout.table.name}: PK, SK, {', '.join(index.name for index in layout.table.indexes)}"]
    lines.append("")
    lines.append("entities (Type: key shape; GSIs)")
    for placement in layout.placements.values():
        lines.append(f"  {placement.entity.table.name} -> Type={placement.tag}: {placement.home.text()}")
        lines.append(f"      placed by: {placement.placed_by}")
        for number, (shape, served) in enumerate(placement.gsis, start=1):
            lines.append(f"      GSI{number}: {_gsi_text(shape.pk, shape.sk, number)}  ({served})")
    lines.append("")
    lines.append("access patterns (requests: faux-SQL -> single-table)")
    plans = pattern_plans(layout)
    for plan in plans:
        count = f"{plan.faux_sql_requests} -> {plan.single_table_requests}"
        if measured is not None and plan.number in measured:
            count += f" (check-patterns measured {measured[plan.number]} in faux-SQL)"
        lines.append(f"  {plan.number} {plan.name}: {count}")
        lines.append(f"      faux-SQL:     {plan.faux_sql}")
        lines.append(f"      single-table: {plan.single_table}")
        if plan.note:
            lines.append(f"      note: {plan.note}")
    canonical = canonical_plan(layout, plans)
    lines.append("")
    lines.append(
        f"canonical query (a customer, 20 orders, their lines, the products): "
        f"{canonical.faux_sql_requests} requests -> {canonical.single_table_requests}"
    )
    lines.extend(f"  {step}" for step in canonical.single_table)
    return lines


def _gsi_text(pk: tuple[Segment, ...], sk: tuple[Segment, ...], number: int) -> str:
    return f"GSI{number}PK={render(pk)} GSI{number}SK={render(sk)}"
