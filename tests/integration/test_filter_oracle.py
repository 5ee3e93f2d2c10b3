"""The planner against an oracle (SPEC 13): random filters and orders, paged to the end with random page sizes,
give exactly the items a Python filter over all of them gives, in the declared order, none twice, every page
full unless the read budget cut it short; a filter no index serves is refused before any request.

The reading is the planner's own (graphql_api.planner.read, as the connection fields run it), on both backends,
over orders generated for it: six customers, five statuses, distinct order dates (so the order is total).
TEST_THOROUGH=1 runs more examples (tests/depth.py).
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.errors import BadUserInput
from graphql_api.ops.table_admin import create_tables
from graphql_api.planner import All, AnyOf, Condition, Not, Order, Read, Term, backwards, depth, plan, read
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.repositories.orders import Order as OrderItem
from tests.depth import count
from tests.support.api import fresh_settings

CUSTOMERS = [f"cus_{n:032x}" for n in range(6)]
STATUSES = list(OrderStatus)
START = datetime(2026, 1, 1, tzinfo=UTC)
EXAMPLES = count("TEST_ORACLE_EXAMPLES", quick=150, thorough=3000)


def _orders() -> list[OrderItem]:
    rng = random.Random(13)
    minutes = rng.sample(range(60 * 24 * 90), 90)  # distinct dates: the merged order is total
    return [
        OrderItem(
            order_id=f"ord_{n:032x}",
            customer_id=rng.choice(CUSTOMERS),
            status=rng.choice(STATUSES),
            order_date=START + timedelta(minutes=minute),
            total=Decimal(rng.randint(100, 50000)) / 100,
            currency=rng.choice(["EUR", "USD"]),
            item_count=rng.randint(1, 5),
            created_at=START,
            updated_at=START,
            version=1,
        )
        for n, minute in enumerate(minutes)
    ]


ORDERS_DATA = _orders()
DATES = sorted(order.order_date for order in ORDERS_DATA)


class Loop:
    """One event loop and one client for the module's reads (the hypothesis examples run synchronously)."""

    def __init__(self, endpoint: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.settings = fresh_settings(endpoint)
        self.context = open_dynamo(self.settings)
        self.dynamo: Dynamo = self.loop.run_until_complete(self.context.__aenter__())

    def run(self, work: Callable[[Dynamo], Any]) -> Any:
        return self.loop.run_until_complete(work(self.dynamo))

    def close(self) -> None:
        self.loop.run_until_complete(self.context.__aexit__(None, None, None))
        self.loop.close()


@pytest.fixture(scope="module")
def tables(endpoint: str) -> Iterator[Loop]:
    loop = Loop(endpoint)

    async def prepare(dynamo: Dynamo) -> None:
        await create_tables(dynamo, tables=[ORDERS.table])
        await put_items(dynamo, ORDERS.table, [ORDERS.to_item(order) for order in ORDERS_DATA])

    loop.run(prepare)
    yield loop
    loop.close()


# --- The oracle -------------------------------------------------------------------------------------------------


def _stored(field: str, value: Any) -> Any:
    return ORDERS.stored(field, value)


def holds(condition: Condition | None, order: OrderItem) -> bool:
    if condition is None:
        return True
    if isinstance(condition, All):
        return all(holds(part, order) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(holds(part, order) for part in condition.parts)
    if isinstance(condition, Not):
        return not holds(condition.part, order)
    have = _stored(condition.field, getattr(order, condition.field))
    value = condition.value
    match condition.op:
        case "exists":
            return bool(value)
        case "in":
            return have in [_stored(condition.field, each) for each in value]
        case "between":
            return bool(_stored(condition.field, value[0]) <= have <= _stored(condition.field, value[1]))
        case "beginsWith":
            return str(have).startswith(_stored(condition.field, value))
        case "contains":
            return _stored(condition.field, value) in str(have)
    wanted = _stored(condition.field, value)
    return bool(
        {
            "eq": have == wanted,
            "ne": have != wanted,
            "lt": have < wanted,
            "lte": have <= wanted,
            "gt": have > wanted,
            "gte": have >= wanted,
        }[condition.op]
    )


def expected(condition: Condition | None, order: Order | None) -> list[str]:
    matching = [each for each in ORDERS_DATA if holds(condition, each)]
    ascending = order.ascending if order is not None else False  # both listings are newest first
    matching.sort(key=lambda each: each.order_date, reverse=not ascending)
    return [each.order_id for each in matching]


# --- Random filters -----------------------------------------------------------------------------------------------

dates = st.sampled_from(DATES).map(lambda at: at + timedelta(seconds=1) if at.minute % 2 else at)
totals = st.integers(100, 50000).map(lambda cents: Decimal(cents) / 100)
partition_terms = st.one_of(
    st.sampled_from(CUSTOMERS).map(lambda value: Term("customer_id", "eq", value)),
    st.lists(st.sampled_from(CUSTOMERS), min_size=1, max_size=4).map(lambda values: Term("customer_id", "in", values)),
    st.sampled_from(STATUSES).map(lambda value: Term("status", "eq", value)),
    st.lists(st.sampled_from(STATUSES), min_size=1, max_size=3).map(lambda values: Term("status", "in", values)),
)
range_ops = st.sampled_from(["lt", "lte", "gt", "gte"])
other_terms = st.one_of(
    st.builds(Term, st.just("order_date"), range_ops, dates),
    st.lists(dates, min_size=2, max_size=2).map(lambda pair: Term("order_date", "between", sorted(pair))),
    st.builds(Term, st.just("total"), st.sampled_from(["lt", "gte", "ne"]), totals),
    st.builds(Term, st.just("currency"), st.sampled_from(["eq", "ne"]), st.sampled_from(["EUR", "USD"])),
    st.builds(Term, st.just("item_count"), st.sampled_from(["eq", "lte", "gt"]), st.integers(1, 5)),
    st.sampled_from(STATUSES).map(lambda value: Term("status", "ne", value)),
    st.sampled_from(CUSTOMERS).map(lambda value: Term("customer_id", "beginsWith", value[:6])),
)
nested = st.recursive(
    other_terms,
    lambda inner: st.one_of(
        st.lists(inner, min_size=1, max_size=3).map(lambda parts: AnyOf(tuple(parts))),
        inner.map(Not),
    ),
    max_leaves=4,
).filter(lambda condition: depth(condition) <= 3)


@dataclass(frozen=True)
class Case:
    condition: Condition
    order: Order | None
    page_sizes: list[int]
    read_budget: int


cases = st.builds(
    lambda partition, extra, order, sizes, budget: Case(All((partition, *extra)), order, sizes, budget),
    partition_terms,
    st.lists(nested, max_size=3),
    st.one_of(st.none(), st.builds(Order, st.just("order_date"), st.booleans())),
    st.lists(st.integers(1, 30), min_size=1, max_size=5).filter(lambda sizes: sum(sizes) >= 8),
    st.sampled_from([1, 3, 10]),
)


def page_through(loop: Loop, case: Case, backward: bool = False) -> tuple[list[str], list[tuple[int, int, bool]]]:
    """Every page to the end (backward: to the start, as `last`/`before` read): the ids read in reading order,
    and per page (asked, got, truncated)."""
    chosen = plan([*ORDERS.listings], case.condition, case.order)
    if backward:
        chosen = backwards(chosen)
    got: list[str] = []
    pages: list[tuple[int, int, bool]] = []
    after: dict[str, Any] | None = None

    def page(first: int, after: dict[str, Any] | None) -> Callable[[Dynamo], Awaitable[Read[OrderItem]]]:
        return lambda dynamo: read(dynamo, chosen, first=first, after=after, read_budget=case.read_budget)

    for number in range(400):
        first = case.page_sizes[number % len(case.page_sizes)]
        result = loop.run(page(first, after))
        assert result.requests <= chosen.worst_case_reads(case.read_budget), (result.requests, chosen)
        got += [each.order_id for each, _ in result.entries]
        pages.append((first, len(result.entries), result.truncated))
        if not result.has_next:
            return got, pages
        after = result.end
    raise AssertionError("the listing did not end within 400 pages")


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(case=cases)
def test_paging_a_filter_to_the_end_gives_the_oracles_items_in_order(tables: Loop, case: Case) -> None:
    wanted = expected(case.condition, case.order)
    got, pages = page_through(tables, case)
    assert got == wanted, case
    for number, (asked, returned, truncated) in enumerate(pages[:-1]):
        # Full pages unless the budget cut one short (then it says so).
        assert returned == asked or truncated, (number, pages, case)
    if len(plan([*ORDERS.listings], case.condition, case.order).partitions) == 1:
        back, _ = page_through(tables, case, backward=True)  # the same listing from its end
        assert back == wanted[::-1], case


def test_an_in_on_a_partition_key_reads_its_partitions_concurrently_and_merges_them(tables: Loop) -> None:
    condition = Term("customer_id", "in", CUSTOMERS[:3])
    chosen = plan([*ORDERS.listings], condition, Order("order_date", True))
    result = tables.run(lambda dynamo: read(dynamo, chosen, first=200, after=None, read_budget=10))
    assert [each.order_id for each, _ in result.entries] == expected(condition, Order("order_date", True))
    assert result.requests == 3
    assert not result.has_next


@pytest.mark.parametrize(
    ("condition", "order", "field", "words"),
    [
        (Term("total", "gt", Decimal(5)), None, "filter", "customer_id, status"),
        (AnyOf((Term("status", "eq", OrderStatus.PAID), Term("customer_id", "eq", CUSTOMERS[0]))), None, "filter", ""),
        (Term("status", "ne", OrderStatus.PAID), None, "filter", ""),
        (Term("status", "in", list(STATUSES) * 6), None, "filter", "at most 25"),
        (Term("status", "eq", OrderStatus.PAID), Order("total", True), "orderBy", "order_date"),
        (
            All((Term("status", "eq", OrderStatus.PAID), Not(Not(Not(Not(Term("total", "gt", Decimal(1)))))))),
            None,
            "filter",
            "nest",
        ),
    ],
)
def test_a_filter_no_index_serves_is_refused_naming_what_would(
    condition: Condition, order: Order | None, field: str, words: str
) -> None:
    """Refused by the plan, before any request (plan() has no client to make one)."""
    with pytest.raises(BadUserInput) as refused:
        plan([*ORDERS.listings], condition, order)
    assert refused.value.extensions["field"] == field
    assert words in refused.value.message


def test_the_plan_puts_the_partition_and_a_sort_key_range_in_the_key_condition() -> None:
    chosen = plan(
        [*ORDERS.listings],
        All(
            (Term("status", "eq", OrderStatus.PAID), Term("order_date", "gte", START), Term("total", "gt", Decimal(9)))
        ),
    )
    described = chosen.describe(10)
    assert described["index"] == "StatusIndex"
    assert described["keyCondition"] == "#n0 = :v0 AND #n1 >= :v1"
    assert described["filterExpression"] == "#n2 > :v2"
    assert described["expressionAttributeNames"] == {"#n0": "Status", "#n1": "OrderDate", "#n2": "Total"}
    assert described["worstCaseReads"] == 10
    both = plan([*ORDERS.listings], All((Term("status", "eq", OrderStatus.PAID), Term("customer_id", "eq", "cus_1"))))
    assert both.listing.index is not None
    assert both.listing.index.name == "CustomerIndex"  # the first declared
