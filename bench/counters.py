"""Counter contention: orders per second placed on one hot status (every new order adds to PENDING), with the
status counter spread over its shards (graphql_api.repositories.counters.ORDERS_BY_STATUS) and on one item.

    .venv/bin/python -m bench.counters [--orders 400] [--clients 16] [--rounds 3]

On DynamoDB Local (its own, or TEST_DYNAMODB_LOCAL_ENDPOINT). Each order is the service's own placeOrder
(graphql_api.repositories.order_writes.place_order, in this process: no HTTP, no GraphQL), by a customer of its
own client and a product drawn from 100, so that the status counter is the one item every order shares. The two
variants take turns round by round on the same tables; per variant it prints orders/s, the TransactWriteItems
sent per order (above 1: transactions cancelled by a concurrent one and retried) and the orders that failed
(CONFLICT after every retry), then the ratio sharded / one item.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.errors import Conflict
from graphql_api.ops.seed import Dataset, make_customer, make_product, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories import counters, order_writes
from graphql_api.repositories.counters import ORDERS_BY_STATUS, Family
from graphql_api.repositories.order_writes import OrderLine
from graphql_api.settings import Settings
from tests.backends import dynamodb_local

PRODUCTS = 100
ONE_ITEM = Family(ORDERS_BY_STATUS.name, 1)


@dataclass
class Round:
    orders: int
    seconds: float
    transactions: int
    failed: int


class _Counting:
    """The service's client, counting the TransactWriteItems it sends (a retry after a conflict counts again)."""

    def __init__(self, dynamo: Dynamo) -> None:
        self.transactions = 0

        async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            if operation == "transact_write_items":
                self.transactions += 1
            return await dynamo.call(operation, **params)

        self.dynamo = Dynamo(call, dynamo.table_prefix)


@contextmanager
def _status_counter(family: Family) -> Iterator[None]:
    """placeOrder's status counter for the duration: spread over its shards, or one item."""
    # The name placeOrder adds to (imported into order_writes), swapped for the bench's run only.
    kept = getattr(order_writes, "ORDERS_BY_STATUS")  # noqa: B009
    setattr(order_writes, "ORDERS_BY_STATUS", family)  # noqa: B010
    try:
        yield
    finally:
        setattr(order_writes, "ORDERS_BY_STATUS", kept)  # noqa: B010


async def _round(dynamo: Dynamo, customers: list[str], products: list[str], orders: int) -> Round:
    counting = _Counting(dynamo)
    queue = list(range(orders))
    failed = 0

    async def client(customer: str) -> None:
        nonlocal failed
        while queue:
            queue.pop()
            line = OrderLine(random.choice(products), 1)
            try:
                await order_writes.place_order(counting.dynamo, customer, [line], None)
            except Conflict:
                failed += 1

    started = time.perf_counter()
    await asyncio.gather(*(client(customer) for customer in customers))
    return Round(orders, time.perf_counter() - started, counting.transactions, failed)


async def _seed(dynamo: Dynamo, clients: int) -> tuple[list[str], list[str]]:
    rng = random.Random(22)
    at = now()
    data = Dataset(
        customers=[make_customer(rng, f"Buyer {n}", f"buyer{n}@example.com", at) for n in range(clients)],
        products=[
            replace(make_product(rng, "counted", f"Counted {n:03d}", at), stock=10_000_000) for n in range(PRODUCTS)
        ],
    )
    await create_tables(dynamo)
    await write_dataset(dynamo, data)
    return [c.customer_id for c in data.customers], [p.product_id for p in data.products]


def _line(name: str, rounds: list[Round]) -> tuple[str, float]:
    rates = [r.orders / r.seconds for r in rounds]
    sent = sum(r.transactions for r in rounds) / sum(r.orders for r in rounds)
    failed = sum(r.failed for r in rounds)
    median = statistics.median(rates)
    text = f"| {name} | {median:.0f} | {min(rates):.0f} to {max(rates):.0f} | {sent:.2f} | {failed} |"
    return text, median


async def main(orders: int, clients: int, rounds: int) -> None:
    with dynamodb_local() as endpoint:
        settings = Settings(dynamodb_endpoint_url=endpoint, table_prefix=f"bench-counters-{uuid.uuid4().hex[:6]}-")
        async with open_dynamo(settings) as dynamo:
            customers, products = await _seed(dynamo, clients)
            await _round(dynamo, customers, products, clients * 2)  # warm-up: connections, JIT
            results: dict[str, list[Round]] = {"sharded": [], "one item": []}
            for _ in range(rounds):
                for name, family in (("sharded", ORDERS_BY_STATUS), ("one item", ONE_ITEM)):
                    with _status_counter(family):
                        results[name].append(await _round(dynamo, customers, products, orders))
            # One item is the sharded counter's shard 0 (the same family name): their sum counts every order.
            kept = (await counters.total(dynamo, ORDERS_BY_STATUS, "PENDING")).count
            placed = clients * 2 + sum(r.orders - r.failed for each in results.values() for r in each)
    print(f"{orders} orders per round, {clients} concurrent clients, {rounds} rounds per variant, DynamoDB Local")
    print("| status counter | orders/s (median) | range | TransactWriteItems per order | failed (CONFLICT) |")
    print("|---|---|---|---|---|")
    sharded, sharded_rate = _line(f"{ORDERS_BY_STATUS.shards} shards", results["sharded"])
    single, single_rate = _line("one item", results["one item"])
    print(sharded)
    print(single)
    print(f"ratio sharded / one item: {sharded_rate / single_rate:.2f}")
    print(f"PENDING counter after the run: {kept}, orders placed: {placed}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=400, help="orders per round (default 400)")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (default 16)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds per variant (default 3)")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.orders, arguments.clients, arguments.rounds))
