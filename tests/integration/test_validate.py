"""`graphql-api validate` on both backends: clean on the demo data and after real races, then every invariant broken
on purpose by a direct DynamoDB write, each reported with its keys and nothing else."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item, serialize_value
from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.ops import validate as validate_module
from graphql_api.ops.seed import Dataset, demo_dataset, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.ops.validate import INVARIANTS, ValidationReport, validate_tables
from graphql_api.repositories.carts import CARTS
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.settings import Settings
from tests.integration.test_reviews import _review_body, signed_up
from tests.operations import CANCEL_ORDER, PLACE_ORDER, create_customer, create_product, order_input
from tests.support import Api, fresh_settings, outcomes, post_concurrently, run_cli, run_with_dynamo

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


@dataclass
class Seeded:
    settings: Settings
    data: Dataset
    written: dict[str, int]
    """Items the seed wrote, by table."""


@pytest.fixture(scope="module")
def seeded(endpoint: str) -> Seeded:
    settings = fresh_settings(endpoint)
    data = demo_dataset()

    async def prepare(dynamo: Dynamo) -> dict[str, int]:
        await create_tables(dynamo)
        return await write_dataset(dynamo, data)

    return Seeded(settings, data, run_with_dynamo(settings, prepare))


def validate(settings: Settings) -> ValidationReport:
    report: ValidationReport = run_with_dynamo(settings, lambda dynamo: validate_tables(dynamo, segments=3))
    return report


def found(report: ValidationReport) -> set[tuple[str, tuple[str, ...]]]:
    return {violation.identity for violation in report.violations}


def test_the_demo_data_is_clean_and_every_item_is_read(seeded: Seeded) -> None:
    report = validate(seeded.settings)
    assert report.violations == []
    written = sum(seeded.written.values())
    assert report.items == written, f"validate read {report.items} items, the seed wrote {seeded.written}"
    assert report.lines()[-1].startswith(f"validate: {len(INVARIANTS)} invariants over {report.items} items")


def test_the_shared_tables_are_clean_after_concurrent_orders_cancels_and_reviews(api: Api, live_url: str) -> None:
    """Races through the service: 30 orders for 8 units, then cancels racing each other, then 10 reviewers at once."""
    product = create_product(api, stock=8)
    customers = [create_customer(api)["customerId"] for _ in range(3)]
    bodies = [
        {"query": PLACE_ORDER, "variables": {"input": order_input(customers[n % 3], [(product["productId"], 1)])}}
        for n in range(30)
    ]
    placed = asyncio.run(post_concurrently(live_url, bodies))
    assert outcomes(placed) == {"ok": 8, "OUT_OF_STOCK": 22}
    orders = [body["data"]["placeOrder"] for body in placed if not body.get("errors")]
    cancels = [
        {"query": CANCEL_ORDER, "variables": {"id": order["orderId"], "v": order["version"]}}
        for order in orders
        for _ in range(2)
    ]
    cancelled = asyncio.run(post_concurrently(live_url, cancels))
    # One cancel of each order wins; the other is refused, found stale or already cancelled (which of the two
    # it is told is test_order_mutations.py's and test_transaction_errors.py's concern, not this test's).
    refused = outcomes(cancelled)
    assert refused.pop("ok", 0) == len(orders), cancelled
    assert refused.total() == len(orders), refused
    assert set(refused) <= {"VERSION_MISMATCH", "INVALID_TRANSITION"}, refused
    ratings = [1 + n % 5 for n in range(10)]
    reviews = [_review_body(product["productId"], rating) for rating in ratings]
    assert outcomes(asyncio.run(post_concurrently(live_url, reviews, [signed_up(api) for _ in ratings]))) == {"ok": 10}
    report = validate(api.settings)
    assert report.violations == [], "\n".join(report.lines())


# --- Corruptions ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Corruption:
    """A direct write that breaks invariants, and the violations it must produce: (invariant, keys) pairs."""

    name: str
    apply: Callable[[Dataset], list[tuple[str, dict[str, Any]]]]
    """The items to write, (table name, deserialized item); also used with the originals to restore."""
    expected: Callable[[Dataset], set[tuple[str, tuple[str, ...]]]]
    removes: Callable[[Dataset], list[tuple[str, dict[str, Any]]]] = lambda data: []
    """Items to delete (restored afterwards from the originals)."""


def _order_with_lines(data: Dataset) -> Any:
    return next(order for order in data.orders[10:] if order.item_count >= 2)


def _lines_of(data: Dataset, order_id: str) -> list[Any]:
    return [line for line in data.order_items if line.order_id == order_id]


def _item(entity: Any, value: Any, **changes: Any) -> tuple[str, dict[str, Any]]:
    item = entity.to_item(value)
    item.update({entity.attribute(name): changed for name, changed in changes.items()})
    return entity.table.name, item


def _at(table: str, **key: Any) -> str:
    return f"{table}(" + ", ".join(f"{name}={value}" for name, value in key.items()) + ")"


def _order_key(order: Any) -> str:
    return _at("Orders", OrderId=order.order_id)


def _reviewed(data: Dataset, nth: int = 0) -> Any:
    """The nth review of a product that no other corruption touches."""
    touched = {data.products[n].product_id for n in (7, 8, 9)}
    return [review for review in data.reviews if review.product_id not in touched][nth * 20]


CORRUPTIONS = [
    Corruption(
        "an orphan line",
        lambda d: [
            _item(ORDER_ITEMS, _lines_of(d, d.orders[0].order_id)[0], order_id="ord_" + "0" * 32, item_id="001")
        ],
        lambda d: {("orphan-line", (_at("OrderItems", OrderId="ord_" + "0" * 32, ItemId="001"),))},
    ),
    Corruption(
        "a missing line",
        lambda d: [],
        lambda d: {("order-lines", (_order_key(_order_with_lines(d)),))},
        removes=lambda d: [_item(ORDER_ITEMS, _lines_of(d, _order_with_lines(d).order_id)[-1])],
    ),
    Corruption(
        "a wrong order total",
        lambda d: [_item(ORDERS, d.orders[1], total=d.orders[1].total + Decimal("0.01"))],
        lambda d: {
            ("order-total", (_order_key(d.orders[1]),)),
            # Its status's revenue counter no longer matches the orders either.
            ("counters", (f"Counters(OrdersByStatus, {d.orders[1].status.value})",)),
        },
    ),
    Corruption(
        "a wrong line total",
        lambda d: [_item(ORDER_ITEMS, line := _lines_of(d, d.orders[2].order_id)[0], line_total=line.line_total * 2)],
        lambda d: {
            ("line-total", (_at("OrderItems", OrderId=d.orders[2].order_id, ItemId="001"),)),
            ("order-total", (_order_key(d.orders[2]),)),
        },
    ),
    Corruption(
        "a wrong OrderCount",
        lambda d: [_item(CUSTOMERS, d.customers[3], order_count=d.customers[3].order_count + 1)],
        lambda d: {("order-count", (_at("Customers", CustomerId=d.customers[3].customer_id),))},
    ),
    Corruption(
        "a dangling email guard",
        lambda d: [("CustomerEmails", {"Email": "nobody@example.com", "CustomerId": "cus_" + "1" * 32})],
        lambda d: {("guard-customer", (_at("CustomerEmails", Email="nobody@example.com"),))},
    ),
    Corruption(
        "a customer without its email guard",
        lambda d: [],
        lambda d: {("email-guard", (_at("Customers", CustomerId=d.customers[4].customer_id),))},
        removes=lambda d: [
            ("CustomerEmails", {"Email": d.customers[4].email, "CustomerId": d.customers[4].customer_id})
        ],
    ),
    Corruption(
        "one identity bound to two customers",
        lambda d: [
            _item(CUSTOMERS, d.customers[5], subject="https://issuer.example#same"),
            _item(CUSTOMERS, d.customers[6], subject="https://issuer.example#same"),
        ],
        lambda d: {
            (
                "identity-binding",
                tuple(sorted(_at("Customers", CustomerId=d.customers[n].customer_id) for n in (5, 6))),
            ),
            ("identity-binding", (_at("Customers", CustomerId=d.customers[5].customer_id),)),
            ("identity-binding", (_at("Customers", CustomerId=d.customers[6].customer_id),)),
        },
    ),
    Corruption(
        "a negative stock",
        lambda d: [_item(PRODUCTS, d.products[7], stock=-1)],
        lambda d: {("stock", (_at("Products", ProductId=d.products[7].product_id),))},
    ),
    Corruption(
        "a wrong review aggregate",
        lambda d: [_item(PRODUCTS, p := _product_of(d, _reviewed(d)), rating_sum=p.rating_sum + 1)],
        lambda d: {("review-aggregates", (_at("Products", ProductId=_reviewed(d).product_id),))},
    ),
    Corruption(
        "a review without its reviewer guard",
        lambda d: [],
        lambda d: {
            (
                "reviewer-guard",
                (_at("Reviews", ProductId=_reviewed(d, 1).product_id, ReviewId=_reviewed(d, 1).review_id),),
            )
        },
        removes=lambda d: [
            ("ProductReviewers", {"ProductId": _reviewed(d, 1).product_id, "CustomerId": _reviewed(d, 1).customer_id})
        ],
    ),
    Corruption(
        "a line of a product that does not exist",
        lambda d: [_item(ORDER_ITEMS, _lines_of(d, d.orders[3].order_id)[0], product_id="prd_" + "2" * 32)],
        lambda d: {("line-product", (_at("OrderItems", OrderId=d.orders[3].order_id, ItemId="001"),))},
    ),
    Corruption(
        "a cart line of a customer that does not exist",
        lambda d: [_item(CARTS, d.carts[0], customer_id="cus_" + "3" * 32)],
        lambda d: {
            ("cart-customer", (_at("CartItems", CustomerId="cus_" + "3" * 32, ProductId=d.carts[0].product_id),))
        },
    ),
    Corruption(
        "an item that does not match its declaration",
        lambda d: [_item(PRODUCTS, d.products[8], price="free")],
        lambda d: {
            ("item-shape", (_at("Products", ProductId=d.products[8].product_id),)),
            # A product that does not decode is not counted in its category.
            ("counters", (f"Counters(ProductsByCategory, {d.products[8].category})",)),
        },
    ),
    Corruption(
        "a counter written around the service",
        lambda d: [("Counters", {"Shard": "ProductsByCategory#0", "Member": "nowhere", "Count": 1, "Amount": 0})],
        lambda d: {("counters", ("Counters(ProductsByCategory, nowhere)",))},
    ),
]


def _product_of(data: Dataset, review: Any) -> Any:
    return next(product for product in data.products if product.product_id == review.product_id)


_ENTITIES = {entity.table.name: entity for entity in ALL_ENTITIES}


def _key(table: str, item: dict[str, Any]) -> dict[str, Any]:
    return {name: item[name] for name in _ENTITIES[table].table.key_names}


async def _get(dynamo: Dynamo, table: str, item: dict[str, Any]) -> dict[str, Any] | None:
    name = _ENTITIES[table].table.physical_name(dynamo.table_prefix)
    key = {attribute: serialize_value(value) for attribute, value in _key(table, item).items()}
    found: dict[str, Any] | None = (await dynamo.call("get_item", TableName=name, Key=key, ConsistentRead=True)).get(
        "Item"
    )
    return found


async def _put(dynamo: Dynamo, table: str, item: dict[str, Any]) -> None:
    name = _ENTITIES[table].table.physical_name(dynamo.table_prefix)
    await dynamo.call("put_item", TableName=name, Item=serialize_item(item))


async def _delete(dynamo: Dynamo, table: str, item: dict[str, Any]) -> None:
    name = _ENTITIES[table].table.physical_name(dynamo.table_prefix)
    key = {attribute: serialize_value(value) for attribute, value in _key(table, item).items()}
    await dynamo.call("delete_item", TableName=name, Key=key)


@pytest.fixture
def corrupted(seeded: Seeded) -> Iterator[list[Corruption]]:
    """Every corruption at once (each on items of its own), by direct writes; afterwards every touched item is put
    back as it was."""
    writes = [write for corruption in CORRUPTIONS for write in corruption.apply(seeded.data)]
    removes = [remove for corruption in CORRUPTIONS for remove in corruption.removes(seeded.data)]

    async def apply(dynamo: Dynamo) -> list[tuple[str, dict[str, Any], dict[str, Any] | None]]:
        originals = [(table, item, await _get(dynamo, table, item)) for table, item in [*writes, *removes]]
        for table, item in writes:
            await _put(dynamo, table, item)
        for table, item in removes:
            await _delete(dynamo, table, item)
        return originals

    originals = run_with_dynamo(seeded.settings, apply)

    async def restore(dynamo: Dynamo) -> None:
        for table, item, original in originals:
            if original is None:
                await _delete(dynamo, table, item)
            else:
                await dynamo.call(
                    "put_item", TableName=_ENTITIES[table].table.physical_name(dynamo.table_prefix), Item=original
                )

    try:
        yield CORRUPTIONS
    finally:
        run_with_dynamo(seeded.settings, restore)


def test_each_corruption_is_reported_with_its_keys_and_nothing_else(
    seeded: Seeded, corrupted: list[Corruption]
) -> None:
    report = validate(seeded.settings)
    expected = {corruption.name: corruption.expected(seeded.data) for corruption in corrupted}
    reported = found(report)
    missed = {name: keys - reported for name, keys in expected.items() if keys - reported}
    assert not missed, "\n".join(report.lines())
    assert reported == set().union(*expected.values()), "\n".join(report.lines())
    assert report.passing == 0
    for violation in report.violations:
        assert violation.line().startswith(f"VIOLATION {violation.invariant}: {' '.join(violation.keys)}: ")


def test_the_tables_are_clean_again_once_repaired(seeded: Seeded) -> None:
    assert validate(seeded.settings).violations == []


def test_every_invariant_is_broken_by_some_corruption() -> None:
    kinds = {kind for corruption in CORRUPTIONS for kind, _ in corruption.expected(demo_dataset())}
    untested = {invariant.name for invariant in INVARIANTS} - kinds
    # order-customer and review-product need a deleted customer with orders or a deleted product: the same
    # kind of dangling reference as line-product, broken above; tests/unit/test_validate_invariants.py covers them.
    assert untested <= {"order-customer", "review-product"}, untested


def test_the_cli_exits_1_with_one_line_per_violation_and_plain_progress_lines(seeded: Seeded) -> None:
    stock = next(corruption for corruption in CORRUPTIONS if corruption.name == "a negative stock")
    writes = stock.apply(seeded.data)

    async def corrupt(dynamo: Dynamo) -> dict[str, Any] | None:
        original = await _get(dynamo, *writes[0])
        await _put(dynamo, *writes[0])
        return original

    original = run_with_dynamo(seeded.settings, corrupt)
    try:
        done = run_cli(seeded.settings, "validate", "--segments", "2", timeout=120)
    finally:
        run_with_dynamo(
            seeded.settings,
            lambda dynamo: dynamo.call(
                "put_item", TableName=PRODUCTS.table.physical_name(dynamo.table_prefix), Item=original
            ),
        )
    assert done.returncode == 1, done.stderr
    lines = done.stdout.splitlines()
    product = seeded.data.products[7].product_id
    assert lines[0] == f"VIOLATION stock: Products(ProductId={product}): Stock -1 is negative"
    assert lines[-1].endswith("1 violations (stock 1)")
    assert len(lines) == 2
    assert f"validate: Orders: {len(seeded.data.orders)} items in " in done.stderr  # not a terminal: plain lines
    assert "\r" not in done.stderr
    clean = run_cli(seeded.settings, "validate", timeout=120)
    assert clean.returncode == 0, clean.stdout
    assert clean.stdout.splitlines()[-1].endswith(": 0 violations"), clean.stdout


def test_a_violation_seen_once_and_gone_by_the_second_scan_is_not_reported(
    seeded: Seeded, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A write in flight: the first scan reads a negative stock, which is repaired before the second scan."""
    table, item = _item(PRODUCTS, seeded.data.products[9], stock=-5)
    original = run_with_dynamo(seeded.settings, lambda dynamo: _get(dynamo, table, item))
    scans = 0
    reading = validate_module.read_tables

    async def repaired_before_the_second_scan(dynamo: Dynamo, **options: Any) -> Any:
        nonlocal scans
        scans += 1
        if scans == 2:
            await dynamo.call("put_item", TableName=PRODUCTS.table.physical_name(dynamo.table_prefix), Item=original)
        return await reading(dynamo, **options)

    monkeypatch.setattr(validate_module, "read_tables", repaired_before_the_second_scan)

    async def race(dynamo: Dynamo) -> ValidationReport:
        await _put(dynamo, table, item)
        return await validate_tables(dynamo, segments=2)

    report = run_with_dynamo(seeded.settings, race)
    assert scans == 2, report.lines()
    assert report.violations == [], report.lines()
    assert report.passing == 1, report.lines()
    assert report.lines()[-1].endswith("0 violations; 1 seen in the first scan were gone in the second")
