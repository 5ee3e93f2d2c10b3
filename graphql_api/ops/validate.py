"""`graphql-api validate`: the invariants the service keeps across tables, checked over every item.

DynamoDB enforces none of these: the repositories keep them by writing related items in one
transaction (an order with its lines, the stock it takes and its customer's OrderCount; a customer with
its email guard; a review with its reviewer guard and its product's aggregates). A bug, a manual edit
or a script that writes around the service breaks them silently; this finds it.

Every table is read with parallel segmented, strongly consistent scans (graphql_api.ops.table_scan),
then each invariant of `INVARIANTS` is checked in memory (the tables of this model fit: 100,000 orders
and their lines are a few hundred MB at most). A scan is not a snapshot, so a write in flight can look
like a violation (an order read before its transaction, its lines after). A violation is therefore
reported only when a second full scan, made when the first found anything, finds it again: the
answer on a live system is what stayed wrong, not what was moving.

The reference and uniqueness invariants are derived from the declarations (graphql_api.entity): each
`Reference` with `checked_by` is checked to exist, and each `Unique` both ways (every item reserved by its own
guard, every guard reserving for an existing item with those values). Only rules of the domain are written here
(totals, counts, stock, the identity binding).
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql_api.auth.identity import customer_id_for
from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity, Guard, Reference
from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.recount import recount
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS, scan_items
from graphql_api.repositories import counters
from graphql_api.repositories.counters import COUNTERS, FAMILIES, Total
from graphql_api.repositories.customers import CUSTOMERS, Customer
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem, item_id
from graphql_api.repositories.orders import ORDERS, Order
from graphql_api.repositories.products import PRODUCTS, Product
from graphql_api.repositories.reviews import REVIEWS, Review


@dataclass(frozen=True)
class Violation:
    invariant: str
    keys: tuple[str, ...]
    """The items involved, as `Table(Key=value, ...)`."""
    detail: str

    @property
    def identity(self) -> tuple[str, tuple[str, ...]]:
        """What must be found again by the second scan (the detail may differ: values can move meanwhile)."""
        return self.invariant, self.keys

    def line(self) -> str:
        return f"VIOLATION {self.invariant}: {' '.join(self.keys)}: {self.detail}"


def where(entity: Entity[Any], value: Any) -> str:
    """`Orders(OrderId=ord_1)`: an item by its table and key, as a violation names it."""
    names = entity.table.key_names
    return (
        f"{entity.table.name}(" + ", ".join(f"{n}={v}" for n, v in zip(names, entity.key_of(value), strict=True)) + ")"
    )


class Tables:
    """Every table's items, decoded by their declarations; an item that does not decode is a violation itself."""

    def __init__(self, items: dict[Entity[Any], list[dict[str, Any]]]) -> None:
        self.undecodable: list[Violation] = []
        self._unreadable: dict[Entity[Any], set[tuple[Any, ...]]] = {entity: set() for entity in items}
        self._decoded = {entity: self._decode(entity, raw) for entity, raw in items.items()}
        self.customers: list[Customer] = self._decoded[CUSTOMERS]
        self.orders: list[Order] = self._decoded[ORDERS]
        self.order_items: list[OrderItem] = self._decoded[ORDER_ITEMS]
        self.products: list[Product] = self._decoded[PRODUCTS]
        self.reviews: list[Review] = self._decoded[REVIEWS]
        self._by_key = {
            entity: {entity.key_of(value): value for value in decoded} for entity, decoded in self._decoded.items()
        }
        self.order_by_id = {order.order_id: order for order in self.orders}

    def of(self, entity: Entity[Any]) -> list[Any]:
        """The decoded items of a table."""
        return self._decoded[entity]

    def get(self, entity: Entity[Any], key: tuple[Any, ...]) -> Any:
        """The decoded item at `key` (stored key values), or None."""
        return self._by_key[entity].get(key)

    def exists(self, entity: Entity[Any], *key: Any) -> bool:
        """Whether the item is there, decoded or not: a reference to an undecodable item is not dangling (that item
        is reported once, as item-shape, rather than again by everything that refers to it)."""
        return key in self._by_key[entity] or key in self._unreadable[entity]

    @property
    def item_count(self) -> int:
        return sum(len(decoded) for decoded in self._decoded.values()) + len(self.undecodable)

    def _decode(self, entity: Entity[Any], raw: list[dict[str, Any]]) -> list[Any]:
        decoded = []
        for item in raw:
            try:
                decoded.append(entity.from_item(item))
            except (KeyError, ValueError, TypeError, ArithmeticError) as error:
                self._unreadable[entity].add(tuple(item.get(name) for name in entity.table.key_names))
                key = ", ".join(f"{name}={item.get(name)}" for name in entity.table.key_names)
                self.undecodable.append(
                    Violation(
                        "item-shape", (f"{entity.table.name}({key})",), f"does not match its declaration: {error!r}"
                    )
                )
        return decoded


def _item_shape(tables: Tables) -> Iterator[Violation]:
    yield from tables.undecodable


def _order_lines(tables: Tables) -> Iterator[Violation]:
    for order in tables.orders:
        numbers = range(1, order.item_count + 1)
        missing = [item_id(n) for n in numbers if not tables.exists(ORDER_ITEMS, order.order_id, item_id(n))]
        if missing:
            yield Violation(
                "order-lines",
                (where(ORDERS, order),),
                f"ItemCount {order.item_count} but lines {', '.join(missing)} are missing",
            )


def _lines_within_count(tables: Tables) -> Iterator[Violation]:
    # That a line's order exists is its declared reference's invariant (orphan-line); here, that it is counted.
    for line in tables.order_items:
        order = tables.order_by_id.get(line.order_id)
        if order is not None and line.item_id not in {item_id(number) for number in range(1, order.item_count + 1)}:
            yield Violation(
                "orphan-line",
                (where(ORDER_ITEMS, line), where(ORDERS, order)),
                f"line {line.item_id} is beyond the order's ItemCount {order.item_count}",
            )


def _order_total(tables: Tables) -> Iterator[Violation]:
    lines = _lines_by_order(tables)
    for order in tables.orders:
        own = lines.get(order.order_id, [])
        if len(own) != order.item_count:
            continue  # order-lines or orphan-line says why; a sum over the wrong lines says nothing more
        total = sum((line.line_total for line in own), Decimal(0))
        if total != order.total:
            yield Violation("order-total", (where(ORDERS, order),), f"Total {order.total} but its lines sum to {total}")


def _line_total(tables: Tables) -> Iterator[Violation]:
    for line in tables.order_items:
        if line.quantity < 1:
            yield Violation("line-total", (where(ORDER_ITEMS, line),), f"Quantity {line.quantity} is below 1")
        elif line.line_total != line.unit_price * line.quantity:
            yield Violation(
                "line-total",
                (where(ORDER_ITEMS, line),),
                f"LineTotal {line.line_total} but Quantity {line.quantity} x UnitPrice {line.unit_price} "
                f"= {line.unit_price * line.quantity}",
            )


def _order_count(tables: Tables) -> Iterator[Violation]:
    counted = Counter(order.customer_id for order in tables.orders)
    for customer in tables.customers:
        if customer.order_count != counted[customer.customer_id]:
            yield Violation(
                "order-count",
                (where(CUSTOMERS, customer),),
                f"OrderCount {customer.order_count} but {counted[customer.customer_id]} orders",
            )


def _identity_binding(tables: Tables) -> Iterator[Violation]:
    bound: dict[str, list[Customer]] = defaultdict(list)
    for customer in tables.customers:
        if customer.subject is not None:
            bound[customer.subject].append(customer)
    for subject, customers in bound.items():
        if len(customers) > 1:
            yield Violation(
                "identity-binding",
                tuple(sorted(where(CUSTOMERS, customer) for customer in customers)),
                f"{len(customers)} customers bound to the identity {subject}",
            )
        for customer in customers:
            if customer.customer_id != customer_id_for(subject):
                yield Violation(
                    "identity-binding",
                    (where(CUSTOMERS, customer),),
                    f"bound to {subject}, whose customer id is {customer_id_for(subject)}",
                )


def _stock(tables: Tables) -> Iterator[Violation]:
    for product in tables.products:
        if product.stock < 0:
            yield Violation("stock", (where(PRODUCTS, product),), f"Stock {product.stock} is negative")


def _review_aggregates(tables: Tables) -> Iterator[Violation]:
    ratings: dict[str, list[int]] = defaultdict(list)
    for review in tables.reviews:
        ratings[review.product_id].append(review.rating)
    for product in tables.products:
        own = ratings.get(product.product_id, [])
        if (product.review_count, product.rating_sum) != (len(own), sum(own)):
            yield Violation(
                "review-aggregates",
                (where(PRODUCTS, product),),
                f"ReviewCount {product.review_count}, RatingSum {product.rating_sum} but its reviews give "
                f"{len(own)}, {sum(own)}",
            )


def _counters(tables: Tables) -> Iterator[Violation]:
    stored: list[counters.Counter] = tables.of(COUNTERS)
    for counter in stored:
        if not any(family.number_of(counter.shard) is not None for family in FAMILIES):
            yield Violation("counters", (where(COUNTERS, counter),), "is no shard of a declared counter: never read")
    kept = counters.summed(stored)
    counted = recount(tables.products, tables.orders, tables.reviews)
    for family, member in sorted(set(kept) | set(counted)):
        have, want = kept.get((family, member), Total()), counted.get((family, member), Total())
        if have != want:
            yield Violation(
                "counters",
                (f"{COUNTERS.table.name}({family}, {member})",),
                f"Count {have.count}, Amount {have.amount} but a recount gives {want.count}, {want.amount}",
            )


def _lines_by_order(tables: Tables) -> dict[str, list[OrderItem]]:
    lines: dict[str, list[OrderItem]] = defaultdict(list)
    for line in tables.order_items:
        lines[line.order_id].append(line)
    return lines


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str
    check: Callable[[Tables], Iterator[Violation]]


# --- Derived from the declarations: references and unique fields ----------------------------------------------


def _noun(field: str) -> str:
    """`customer_id` -> `customer`; `product_id` -> `product`: what a reference field names."""
    return field.removesuffix("_id").replace("_", " ")


def _values(value: Any, fields: Iterable[str]) -> str:
    return ", ".join(str(getattr(value, name)) for name in fields)


def _reference(entity: Entity[Any], field: str, reference: Reference) -> Invariant:
    name = reference.checked_by or ""
    target = reference.target

    def check(tables: Tables) -> Iterator[Violation]:
        for value in tables.of(entity):
            referred = getattr(value, field)
            if not tables.exists(target, *target.key(referred)):
                yield Violation(name, (where(entity, value),), f"its {_noun(field)} {referred} does not exist")

    return Invariant(
        name, f"every {entity.table.name} item's {field} refers to an existing {target.table.name} item", check
    )


def _reserved(guard: Guard[Any]) -> Invariant:
    """Every item's unique fields are reserved by a guard that names that item."""
    name, owner, fields = guard.unique.reserved_by, guard.owner, guard.unique.fields
    what = " and ".join(field.replace("_", " ") for field in fields)

    def check(tables: Tables) -> Iterator[Violation]:
        for value in tables.of(owner):
            key = guard.entity.key_of(guard.of(value))
            held = tables.get(guard.entity, key)
            if held is None and not tables.exists(guard.entity, *key):
                yield Violation(name, (where(owner, value),), f"no guard reserves its {what} {_values(value, fields)}")
            elif held is not None and guard.holder(held) != owner.key_of(value):
                yield Violation(
                    name,
                    (where(owner, value), where(guard.entity, held)),
                    f"its {what}'s guard reserves it for {_values(held, guard.owner_fields)}",
                )

    return Invariant(name, f"every {owner.table.name} item's {what} is reserved by a guard naming it", check)


def _reserves(guard: Guard[Any]) -> Invariant:
    """Every guard reserves for an existing item that holds those values."""
    name, owner, fields = guard.unique.reserves, guard.owner, guard.unique.fields
    what = " and ".join(field.replace("_", " ") for field in fields)
    noun = owner.model.__name__.lower()

    def check(tables: Tables) -> Iterator[Violation]:
        for held in tables.of(guard.entity):
            key = guard.holder(held)
            value = tables.get(owner, key)
            if value is None and not tables.exists(owner, *key):
                yield Violation(
                    name,
                    (where(guard.entity, held),),
                    f"reserves for {_values(held, guard.owner_fields)}, which does not exist",
                )
            elif value is not None and guard.entity.key_of(guard.of(value)) != guard.entity.key_of(held):
                yield Violation(
                    name,
                    (where(guard.entity, held), where(owner, value)),
                    f"reserves for a {noun} whose {what} is {_values(value, fields)}",
                )

    return Invariant(name, f"every {guard.entity.table.name} guard names an existing {noun} with those values", check)


def declared_invariants(entities: Iterable[Entity[Any]]) -> list[Invariant]:
    """The reference and uniqueness invariants of these declarations."""
    found = []
    for entity in entities:
        for field, reference in entity.references.items():
            if reference.checked_by:
                found.append(_reference(entity, field, reference))
        if entity.unique is not None:
            found += [_reserved(entity.unique), _reserves(entity.unique)]
    return found


def _merged(invariants: Iterable[Invariant]) -> tuple[Invariant, ...]:
    """One invariant per name: the checks declared under one name run together, the first description kept."""
    by_name: dict[str, list[Invariant]] = {}
    for invariant in invariants:
        by_name.setdefault(invariant.name, []).append(invariant)

    def together(parts: list[Invariant]) -> Callable[[Tables], Iterator[Violation]]:
        def check(tables: Tables) -> Iterator[Violation]:
            for part in parts:
                yield from part.check(tables)

        return check

    return tuple(
        parts[0] if len(parts) == 1 else Invariant(name, parts[0].description, together(parts))
        for name, parts in by_name.items()
    )


# --- The rules of the domain, written by hand --------------------------------------------------------------

DOMAIN: tuple[Invariant, ...] = (
    Invariant("order-lines", "every order has its lines 001..ItemCount", _order_lines),
    Invariant("orphan-line", "every line is within its order's ItemCount", _lines_within_count),
    Invariant("order-total", "an order's Total is the sum of its lines' LineTotal", _order_total),
    Invariant("line-total", "a line's LineTotal is Quantity x UnitPrice, Quantity at least 1", _line_total),
    Invariant("order-count", "a customer's OrderCount is the number of their orders", _order_count),
    Invariant("identity-binding", "an identity is bound to one customer, whose id derives from it", _identity_binding),
    Invariant("stock", "no product's Stock is negative", _stock),
    Invariant("review-aggregates", "a product's ReviewCount and RatingSum match its reviews", _review_aggregates),
    Invariant("counters", "every counter, summed over its shards, equals a recount of what it counts", _counters),
)

INVARIANTS: tuple[Invariant, ...] = _merged(
    [
        Invariant("item-shape", "every item has the attributes and types its table declares", _item_shape),
        *declared_invariants(ALL_ENTITIES),
        *DOMAIN,
    ]
)


def check(tables: Tables) -> list[Violation]:
    return [violation for invariant in INVARIANTS for violation in invariant.check(tables)]


def confirmed(first: list[Violation], second: list[Violation]) -> list[Violation]:
    """The second scan's violations that the first also saw: those that did not come from a write in flight."""
    seen = {violation.identity for violation in first}
    return [violation for violation in second if violation.identity in seen]


@dataclass(frozen=True)
class ValidationReport:
    violations: list[Violation]
    items: int
    """Items read by the (last) scan."""
    passing: int
    """Violations the first scan saw that the second did not (writes in flight)."""
    seconds: float

    def lines(self) -> list[str]:
        kinds = Counter(violation.invariant for violation in self.violations)
        found = ", ".join(f"{name} {count}" for name, count in sorted(kinds.items()))
        passing = f"; {self.passing} seen in the first scan were gone in the second" if self.passing else ""
        return [
            *(violation.line() for violation in self.violations),
            f"validate: {len(INVARIANTS)} invariants over {self.items} items of {len(ALL_ENTITIES)} tables "
            f"in {self.seconds:.1f} s: {len(self.violations)} violations{f' ({found})' if found else ''}{passing}",
        ]


async def read_tables(dynamo: Dynamo, *, segments: int = DEFAULT_SEGMENTS, progress: Progress = quiet) -> Tables:
    scanned = await asyncio.gather(
        *(scan_items(dynamo, entity.table, segments=segments, progress=progress) for entity in ALL_ENTITIES)
    )
    return Tables(dict(zip(ALL_ENTITIES, scanned, strict=True)))


async def validate_tables(
    dynamo: Dynamo, *, segments: int = DEFAULT_SEGMENTS, progress: Progress = quiet
) -> ValidationReport:
    started = time.perf_counter()
    tables = await read_tables(dynamo, segments=segments, progress=progress)
    first = check(tables)
    if not first:
        return ValidationReport([], tables.item_count, 0, time.perf_counter() - started)
    tables = await read_tables(dynamo, segments=segments, progress=progress)
    violations = confirmed(first, check(tables))
    passing = len({v.identity for v in first} - {v.identity for v in violations})
    return ValidationReport(violations, tables.item_count, passing, time.perf_counter() - started)
