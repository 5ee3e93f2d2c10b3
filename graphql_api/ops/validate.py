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
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql_api.auth.identity import customer_id_for
from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS, scan_items
from graphql_api.repositories import ALL_ENTITIES
from graphql_api.repositories.customers import CUSTOMER_EMAILS, CUSTOMERS, Customer, EmailGuard
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem, item_id
from graphql_api.repositories.orders import ORDERS, Order
from graphql_api.repositories.products import PRODUCTS, Product
from graphql_api.repositories.reviews import PRODUCT_REVIEWERS, REVIEWS, ProductReviewer, Review


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
        self.email_guards: list[EmailGuard] = self._decoded[CUSTOMER_EMAILS]
        self.orders: list[Order] = self._decoded[ORDERS]
        self.order_items: list[OrderItem] = self._decoded[ORDER_ITEMS]
        self.products: list[Product] = self._decoded[PRODUCTS]
        self.reviews: list[Review] = self._decoded[REVIEWS]
        self.reviewers: list[ProductReviewer] = self._decoded[PRODUCT_REVIEWERS]
        self._keys = {entity: {entity.key_of(value) for value in decoded} for entity, decoded in self._decoded.items()}
        self.customer_by_id = {customer.customer_id: customer for customer in self.customers}
        self.order_by_id = {order.order_id: order for order in self.orders}

    def exists(self, entity: Entity[Any], *key: Any) -> bool:
        """Whether the item is there, decoded or not: a reference to an undecodable item is not dangling (that item
        is reported once, as item-shape, rather than again by everything that refers to it)."""
        return key in self._keys[entity] or key in self._unreadable[entity]

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


def _orphan_lines(tables: Tables) -> Iterator[Violation]:
    for line in tables.order_items:
        order = tables.order_by_id.get(line.order_id)
        if order is None and tables.exists(ORDERS, line.order_id):
            continue
        if order is None:
            yield Violation("orphan-line", (where(ORDER_ITEMS, line),), f"its order {line.order_id} does not exist")
        elif line.item_id not in {item_id(number) for number in range(1, order.item_count + 1)}:
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


def _line_product(tables: Tables) -> Iterator[Violation]:
    for line in tables.order_items:
        if not tables.exists(PRODUCTS, line.product_id):
            yield Violation(
                "line-product", (where(ORDER_ITEMS, line),), f"its product {line.product_id} does not exist"
            )


def _order_customer(tables: Tables) -> Iterator[Violation]:
    for order in tables.orders:
        if not tables.exists(CUSTOMERS, order.customer_id):
            yield Violation(
                "order-customer", (where(ORDERS, order),), f"its customer {order.customer_id} does not exist"
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


def _email_guard(tables: Tables) -> Iterator[Violation]:
    guards = {guard.email: guard for guard in tables.email_guards}
    for customer in tables.customers:
        guard = guards.get(customer.email)
        if guard is None:
            yield Violation(
                "email-guard", (where(CUSTOMERS, customer),), f"no guard reserves its email {customer.email}"
            )
        elif guard.customer_id != customer.customer_id:
            yield Violation(
                "email-guard",
                (where(CUSTOMERS, customer), where(CUSTOMER_EMAILS, guard)),
                f"its email's guard reserves it for {guard.customer_id}",
            )


def _guard_customer(tables: Tables) -> Iterator[Violation]:
    for guard in tables.email_guards:
        customer = tables.customer_by_id.get(guard.customer_id)
        if customer is None and tables.exists(CUSTOMERS, guard.customer_id):
            continue
        if customer is None:
            yield Violation(
                "guard-customer",
                (where(CUSTOMER_EMAILS, guard),),
                f"reserves for {guard.customer_id}, who does not exist",
            )
        elif customer.email != guard.email:
            yield Violation(
                "guard-customer",
                (where(CUSTOMER_EMAILS, guard), where(CUSTOMERS, customer)),
                f"reserves for a customer whose email is {customer.email}",
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


def _review_product(tables: Tables) -> Iterator[Violation]:
    for review in tables.reviews:
        if not tables.exists(PRODUCTS, review.product_id):
            yield Violation(
                "review-product", (where(REVIEWS, review),), f"its product {review.product_id} does not exist"
            )


def _reviewer_guard(tables: Tables) -> Iterator[Violation]:
    guards = {(guard.product_id, guard.customer_id): guard for guard in tables.reviewers}
    reviews = {(review.product_id, review.review_id): review for review in tables.reviews}
    for review in tables.reviews:
        guard = guards.get((review.product_id, review.customer_id))
        if guard is None or guard.review_id != review.review_id:
            holds = "no guard" if guard is None else f"the guard holds review {guard.review_id}"
            yield Violation("reviewer-guard", (where(REVIEWS, review),), f"{holds} for its author {review.customer_id}")
    for guard in tables.reviewers:
        held = reviews.get((guard.product_id, guard.review_id))
        if held is None or held.customer_id != guard.customer_id:
            yield Violation(
                "reviewer-guard",
                (where(PRODUCT_REVIEWERS, guard),),
                f"holds review {guard.review_id}, which does not exist for that customer",
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


INVARIANTS: tuple[Invariant, ...] = (
    Invariant("item-shape", "every item has the attributes and types its table declares", _item_shape),
    Invariant("order-lines", "every order has its lines 001..ItemCount", _order_lines),
    Invariant("orphan-line", "every line belongs to an existing order, within its ItemCount", _orphan_lines),
    Invariant("order-total", "an order's Total is the sum of its lines' LineTotal", _order_total),
    Invariant("line-total", "a line's LineTotal is Quantity x UnitPrice, Quantity at least 1", _line_total),
    Invariant("line-product", "every line's product exists", _line_product),
    Invariant("order-customer", "every order's customer exists", _order_customer),
    Invariant("order-count", "a customer's OrderCount is the number of their orders", _order_count),
    Invariant("email-guard", "every customer's email is reserved by a guard naming that customer", _email_guard),
    Invariant("guard-customer", "every email guard names an existing customer with that email", _guard_customer),
    Invariant("identity-binding", "an identity is bound to one customer, whose id derives from it", _identity_binding),
    Invariant("stock", "no product's Stock is negative", _stock),
    Invariant("review-aggregates", "a product's ReviewCount and RatingSum match its reviews", _review_aggregates),
    Invariant("review-product", "every review's product exists", _review_product),
    Invariant("reviewer-guard", "reviews and reviewer guards match one to one", _reviewer_guard),
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
