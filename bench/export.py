"""`graphql-api export` throughput: rows per second per table, on the demo data set and on a large one.

    .venv/bin/python -m bench.export [--orders 100000] [--segments 4] [--no-demo] [--keep DIR]

Starts DynamoDB Local (tests.backends), loads the demo data set (`graphql-api seed`: 2,800 items) under
one prefix and a generated one under another: `--orders` orders of 1 to 5 lines (3 on average) over
1,000 products, one customer per 20 orders, no reviews (two tables stay empty: their schema-only file is
part of the work). The large set is written with BatchWriteItem, many requests in flight, a block of
orders at a time so that memory stays flat. Then it times `export_tables` into a temporary directory
(removed afterwards unless --keep) and prints rows/s per table and in total, with the load time.

DynamoDB Local, this process (decoding, Parquet) and the JVM share the machine's cores: the figures are
a floor for the CPU side, not a prediction of a real table's Scan rate (segments scale that one).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import shutil
import sys
import tempfile
import time
from collections import Counter
from contextlib import ExitStack
from dataclasses import replace
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

from graphql_api.clock import now
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.ops.export import ExportResult, export_tables
from graphql_api.ops.seed import CATEGORIES, demo_dataset, make_customer, make_product, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS
from graphql_api.repositories import order_items
from graphql_api.repositories.customers import CUSTOMER_EMAILS, CUSTOMERS, email_guards
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem
from graphql_api.repositories.orders import ORDERS, Order, OrderStatus
from graphql_api.repositories.products import PRODUCTS
from graphql_api.settings import Settings
from graphql_api.tables import Table
from tests.backends import dynamodb_local

PRODUCTS_COUNT = 1_000
ORDERS_PER_CUSTOMER = 20
BLOCK = 5_000
"""Orders generated and written at a time (with their ~15,000 lines)."""
WRITE_CONCURRENCY = 32


async def load_generated(dynamo: Dynamo, orders: int, seed: int = 99) -> int:
    """Customers, products, `orders` orders with their lines; returns the items written."""
    rng = random.Random(seed)
    start = now().replace(microsecond=0) - timedelta(days=365)
    products = [
        make_product(rng, CATEGORIES[n % len(CATEGORIES)], f"Product {n:04d}", start) for n in range(PRODUCTS_COUNT)
    ]
    customers = [
        make_customer(rng, f"Customer {n}", f"customer{n}@example.com", start)
        for n in range(max(1, orders // ORDERS_PER_CUSTOMER))
    ]
    owners = [rng.randrange(len(customers)) for _ in range(orders)]
    placed = Counter(owners)
    customers = [replace(c, order_count=placed[number]) for number, c in enumerate(customers)]
    # The small tables first: DynamoDB Local's writes to a table with a stream slow down a lot once
    # another stream holds a hundred thousand records.
    small: list[tuple[Table, list[Item]]] = [
        (PRODUCTS.table, [PRODUCTS.to_item(product) for product in products]),
        (CUSTOMERS.table, [CUSTOMERS.to_item(customer) for customer in customers]),
        (CUSTOMER_EMAILS.table, [CUSTOMER_EMAILS.to_item(guard) for guard in email_guards(customers)]),
    ]
    written = 0
    for table, items in small:
        written += await put_items(dynamo, table, items, concurrency=WRITE_CONCURRENCY)
    statuses = list(OrderStatus)
    started = time.perf_counter()
    for first in range(0, orders, BLOCK):
        headers, lines = [], []
        for number in range(first, min(first + BLOCK, orders)):
            customer = customers[owners[number]]
            order_id = f"ord_{number:032x}"
            total = Decimal(0)
            picked = rng.sample(products, rng.randint(1, 5))
            for line_number, product in enumerate(picked, start=1):
                quantity = rng.randint(1, 4)
                total += product.price * quantity
                line = OrderItem(
                    order_id,
                    order_items.item_id(line_number),
                    product.product_id,
                    quantity,
                    product.price,
                    product.price * quantity,
                )
                lines.append(line)
            at = start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
            headers.append(
                Order(
                    order_id=order_id,
                    customer_id=customer.customer_id,
                    status=rng.choice(statuses),
                    order_date=at,
                    total=total,
                    currency="EUR",
                    item_count=len(picked),
                    created_at=at,
                    updated_at=at,
                    version=1,
                )
            )
        counts = await asyncio.gather(
            put_items(dynamo, ORDERS.table, map(ORDERS.to_item, headers), concurrency=WRITE_CONCURRENCY // 4),
            put_items(dynamo, ORDER_ITEMS.table, map(ORDER_ITEMS.to_item, lines), concurrency=WRITE_CONCURRENCY),
        )
        written += sum(counts)
        elapsed = time.perf_counter() - started
        print(f"  {min(first + BLOCK, orders):,} orders loaded ({elapsed:.0f} s)", file=sys.stderr, flush=True)
    return written


async def run_case(
    settings: Settings, orders: int | None, segments: int, directory: Path
) -> tuple[float, ExportResult]:
    """Create the tables, load the demo data (None) or `orders` generated ones, export; (load seconds, result)."""
    async with open_dynamo(settings) as dynamo:
        await create_tables(dynamo)
        started = time.perf_counter()
        if orders is None:
            await write_dataset(dynamo, demo_dataset())
        else:
            await load_generated(dynamo, orders)
        loaded = time.perf_counter() - started
        return loaded, await export_tables(dynamo, directory, segments=segments)


def report(name: str, loaded: float, result: ExportResult) -> None:
    seconds = (result.finished - result.started).total_seconds()
    print(f"\n{name}: {result.rows:,} items loaded in {loaded:.1f} s, exported in {seconds:.1f} s")
    print(f"  {'table':<18}{'rows':>10}{'files':>7}{'seconds':>9}{'rows/s':>10}")
    for table in result.tables:
        rate = table.rows / table.seconds if table.seconds > 0 else 0
        print(f"  {table.name:<18}{table.rows:>10,}{len(table.files):>7}{table.seconds:>9.2f}{rate:>10,.0f}")
    print(f"  {'total':<18}{result.rows:>10,}{'':>7}{seconds:>9.2f}{result.rows / seconds:>10,.0f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--orders", type=int, default=100_000, help="orders in the generated data set (0: none)")
    parser.add_argument("--segments", type=int, default=DEFAULT_SEGMENTS, help="parallel scan segments")
    parser.add_argument("--no-demo", action="store_true", help="leave the demo data set out")
    parser.add_argument("--keep", type=Path, help="keep the exports under this (new) directory")
    args = parser.parse_args(argv)

    cases: list[tuple[str, int | None]] = [] if args.no_demo else [("demo data set", None)]
    if args.orders > 0:
        cases.append((f"{args.orders:,} orders", args.orders))
    with ExitStack() as stack:
        endpoint = stack.enter_context(dynamodb_local())
        root = args.keep or Path(tempfile.mkdtemp(prefix="bench-export-"))
        if args.keep is None:
            stack.callback(shutil.rmtree, root, True)
        for number, (name, orders) in enumerate(cases):
            # DynamoDB Local pauses (its JVM collecting) when it holds a few hundred thousand items.
            settings = Settings(
                dynamodb_endpoint_url=endpoint,
                table_prefix=f"bench-export-{number}-",
                dynamodb_read_timeout=60,
                dynamodb_max_attempts=5,
            )
            print(f"{name}: loading DynamoDB Local ...", file=sys.stderr, flush=True)
            loaded, result = asyncio.run(run_case(settings, orders, args.segments, root / f"case-{number}"))
            report(name, loaded, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
