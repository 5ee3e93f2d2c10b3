"""What a filter costs: DynamoDB requests and items examined per page, for selective and unselective filters.

    .venv/bin/python -m bench.filters [--orders 3000] [--first 20] [--budget 10]

On DynamoDB Local (its own, or TEST_DYNAMODB_LOCAL_ENDPOINT): `--orders` orders over 5 statuses and 2 currencies,
totals uniform in 1.00-500.00, dates over 90 days. Each case is planned as `listOrders` plans it
(graphql_api.planner) and read page after page as the API reads it; per case it prints the plan (index, key
condition, filter) and, for its first pages and in all, the requests, the items DynamoDB examined (ScannedCount)
and the items returned. These are counts, not times: exact, and the same on every run.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.ops.table_admin import create_tables
from graphql_api.planner import All, Condition, Order, Term, plan, read
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.repositories.orders import Order as OrderItem
from graphql_api.settings import Settings
from tests.backends import dynamodb_local

START = datetime(2026, 1, 1, tzinfo=UTC)


class _Counting:
    """The client, summing the items DynamoDB examined (ScannedCount) and the requests made."""

    def __init__(self, dynamo: Dynamo) -> None:
        self.examined = 0
        self.requests = 0
        self.table_prefix = dynamo.table_prefix
        self._dynamo = dynamo

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        response = await self._dynamo.call(operation, **params)
        self.requests += 1
        self.examined += int(response.get("ScannedCount", 0))
        return response


@dataclass(frozen=True)
class Case:
    name: str
    condition: Condition
    order: Order | None = None


def cases(now: datetime) -> list[Case]:
    paid = Term("status", "eq", OrderStatus.PAID)
    return [
        Case("unselective: PAID, currency EUR (about 1 in 2)", All((paid, Term("currency", "eq", "EUR")))),
        Case("selective: PAID, total > 490 (about 1 in 50)", All((paid, Term("total", "gt", Decimal(490))))),
        Case("very selective: PAID, total > 499 (about 1 in 500)", All((paid, Term("total", "gt", Decimal(499))))),
        Case(
            "key range: PAID in the last 10 days (key condition only)",
            All((paid, Term("order_date", "gte", now - timedelta(days=10)))),
        ),
        Case(
            "in: PAID or SHIPPED, EUR, oldest first (2 Queries a round, merged)",
            All((Term("status", "in", [OrderStatus.PAID, OrderStatus.SHIPPED]), Term("currency", "eq", "EUR"))),
            Order("order_date", True),
        ),
    ]


def _orders(count: int) -> list[OrderItem]:
    rng = random.Random(7)
    return [
        OrderItem(
            order_id=f"ord_{n:032x}",
            customer_id=f"cus_{rng.randrange(200):032x}",
            status=rng.choice(list(OrderStatus)),
            order_date=START + timedelta(seconds=rng.randrange(90 * 86400)),
            total=Decimal(rng.randint(100, 50000)) / 100,
            currency=rng.choice(["EUR", "USD"]),
            item_count=rng.randint(1, 5),
            created_at=START,
            updated_at=START,
            version=1,
        )
        for n in range(count)
    ]


async def run_case(dynamo: Dynamo, case: Case, first: int, budget: int) -> list[str]:
    chosen = plan([*ORDERS.listings], case.condition, case.order)
    described = chosen.describe(budget)
    lines = [
        case.name,
        f"  {described['index']}: key {described['keyCondition']}; filter {described['filterExpression']}; "
        f"worst case {described['worstCaseReads']} requests a page",
    ]
    counting = _Counting(dynamo)
    after = None
    pages = returned = 0
    while True:
        requests, examined = counting.requests, counting.examined
        result = await read(counting, chosen, first=first, after=after, read_budget=budget)  # type: ignore[arg-type]
        pages += 1
        returned += len(result.entries)
        if pages <= 3:
            lines.append(
                f"  page {pages}: {counting.requests - requests} requests, {counting.examined - examined} items "
                f"examined, {len(result.entries)} returned{' (truncated)' if result.truncated else ''}"
            )
        if not result.has_next:
            break
        after = result.end
    lines.append(
        f"  to the end: {pages} pages, {counting.requests} requests, {counting.examined} items examined, "
        f"{returned} returned ({counting.requests / pages:.2f} requests and {counting.examined / pages:.0f} items "
        "examined a page)"
    )
    return lines


async def main(count: int, first: int, budget: int) -> None:
    with dynamodb_local() as endpoint:
        settings = Settings(dynamodb_endpoint_url=endpoint, table_prefix="bench-filters-")
        async with open_dynamo(settings) as dynamo:
            await create_tables(dynamo, tables=[ORDERS.table])
            orders = _orders(count)
            await put_items(dynamo, ORDERS.table, [ORDERS.to_item(order) for order in orders])
            latest = max(order.order_date for order in orders)
            print(f"{count} orders; pages of {first}; read budget {budget} requests a page")
            for case in cases(latest):
                for line in await run_case(dynamo, case, first, budget):
                    print(line)
            for table in (ORDERS.table,):
                await dynamo.call("delete_table", TableName=table.physical_name(dynamo.table_prefix))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--first", type=int, default=20)
    parser.add_argument("--budget", type=int, default=10)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.orders, arguments.first, arguments.budget))
