"""Counters kept in the writes' own transactions (SPEC 13): exact after real concurrent requests, read in one request,
checked by validate and rebuilt by backfill; categories for anyone, orderStats for staff."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Transaction
from graphql_api.ops.backfill import BACKFILLS, run_backfill
from graphql_api.ops.table_scan import scan_items
from graphql_api.ops.validate import ValidationReport, validate_tables
from graphql_api.repositories import counters
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from tests.integration.test_reviews import review, signed_up
from tests.issuer import STAFF, bearer, shared_issuer
from tests.operations import (
    CANCEL_ORDER,
    CREATE_PRODUCT,
    PLACE_ORDER,
    UPDATE_ORDER_STATUS,
    UPDATE_PRODUCT,
    create_customer,
    create_product,
    order_input,
    product_input,
)
from tests.support import Api, outcomes, post_concurrently, run_with_dynamo

CATEGORIES = "{ categories { name productCount } }"
ORDER_STATS = "{ orderStats { status count revenue } }"
CONCURRENT = 20


def _validate(api: Api) -> ValidationReport:
    report: ValidationReport = run_with_dynamo(api.settings, lambda dynamo: validate_tables(dynamo, segments=2))
    return report


def _broken_counters(api: Api) -> list[str]:
    return [violation.line() for violation in _validate(api).violations if violation.invariant == "counters"]


def _recount(api: Api) -> tuple[Counter[str], dict[str, tuple[int, Decimal]]]:
    """Products per category and (orders, revenue) per status, counted from a scan of the items themselves."""

    async def scan(dynamo: Dynamo) -> tuple[list[Any], list[Any]]:
        products, orders = await asyncio.gather(
            scan_items(dynamo, PRODUCTS.table, segments=2), scan_items(dynamo, ORDERS.table, segments=2)
        )
        return [PRODUCTS.from_item(item) for item in products], [ORDERS.from_item(item) for item in orders]

    products, orders = run_with_dynamo(api.settings, scan)
    by_status: dict[str, tuple[int, Decimal]] = {}
    for order in orders:
        count, revenue = by_status.get(order.status.value, (0, Decimal(0)))
        by_status[order.status.value] = (count + 1, revenue + order.total)
    return Counter(product.category for product in products), by_status


def _staff() -> dict[str, str]:
    return bearer(shared_issuer().token(*STAFF))


def _body(query: str, variables: dict[str, Any]) -> dict[str, Any]:
    return {"query": query, "variables": variables}


def test_every_counter_equals_a_recount_after_concurrent_writes(api: Api, live_url: str) -> None:
    tag = uuid.uuid4().hex[:8]
    first, second = f"counted-{tag}-a", f"counted-{tag}-b"
    stocked = [create_product(api, category=first, stock=1000)["productId"] for _ in range(4)]
    moving = [create_product(api, category=first) for _ in range(4)]
    customers = [create_customer(api)["customerId"] for _ in range(4)]
    placed = [
        api.data_of(PLACE_ORDER, {"input": order_input(customers[n % 4], [(stocked[n % 4], 1)])})["placeOrder"]
        for n in range(8)
    ]

    # Twenty at once, of every kind that moves a counter: orders placed, paid, cancelled; products created and moved.
    bodies = [
        *(
            _body(PLACE_ORDER, {"input": order_input(customers[n % 4], [(stocked[n % 4], 1 + n % 3)])})
            for n in range(8)
        ),
        *(
            _body(UPDATE_ORDER_STATUS, {"input": {"orderId": o["orderId"], "status": "PAID", "expectedVersion": 1}})
            for o in placed[:4]
        ),
        *(_body(CANCEL_ORDER, {"id": o["orderId"], "v": 1}) for o in placed[4:]),
        *(_body(CREATE_PRODUCT, {"input": product_input(category=second)}) for _ in range(2)),
        *(
            _body(
                UPDATE_PRODUCT,
                {"input": {"productId": p["productId"], "expectedVersion": p["version"], "category": second}},
            )
            for p in moving[:2]
        ),
    ]
    assert len(bodies) == CONCURRENT
    answers = asyncio.run(post_concurrently(live_url, bodies))
    assert outcomes(answers) == {"ok": CONCURRENT}, answers

    assert _broken_counters(api) == []
    per_category, per_status = _recount(api)
    categories = {c["name"]: c["productCount"] for c in api.data_of(CATEGORIES, headers={})["categories"]}
    assert categories == {name: count for name, count in per_category.items() if count}
    assert (categories[first], categories[second]) == (6, 4)
    stats = api.data_of(ORDER_STATS)["orderStats"]
    assert [s["status"] for s in stats] == ["PENDING", "PAID", "SHIPPED", "DELIVERED", "CANCELLED"]
    assert {s["status"]: (s["count"], Decimal(s["revenue"])) for s in stats} == {
        status: per_status.get(status, (0, Decimal(0))) for status in (s["status"] for s in stats)
    }


def test_unfiltered_listings_count_from_their_counters_in_one_more_request(api: Api) -> None:
    category = f"listed-{uuid.uuid4().hex[:8]}"
    for _ in range(3):
        create_product(api, category=category)
    query = "query($c: String!) { productsByCategory(category: $c, first: 2) { totalCount edges { cursor } } }"
    response = api.post(query, {"c": category}, {})
    assert response.json()["data"]["productsByCategory"]["totalCount"] == 3
    assert response.headers["x-dynamodb-requests"] == "2"  # the Query, the counter's BatchGetItem
    unasked = api.post(query.replace("totalCount ", ""), {"c": category}, {})
    assert unasked.headers["x-dynamodb-requests"] == "1"  # not asked, not read

    _, per_status = _recount(api)
    pending = api.data_of("{ ordersByStatus(status: PENDING, first: 1) { totalCount } }")["ordersByStatus"]
    assert pending["totalCount"] == per_status["PENDING"][0]


def test_a_customers_reviews_count_from_their_counter(api: Api) -> None:
    author = signed_up(api)
    written = [review(api, author, create_product(api)["productId"])["data"]["createReview"] for _ in range(3)]
    api.data_of(
        "mutation($p: ID!, $r: ID!) { deleteReview(productId: $p, reviewId: $r) }",
        {"p": written[0]["productId"], "r": written[0]["reviewId"]},
        author,
    )
    mine = api.post("{ me { reviews(first: 1) { totalCount edges { cursor } } } }", headers=author)
    assert mine.json()["data"]["me"]["reviews"]["totalCount"] == 2
    assert mine.headers["x-dynamodb-requests"] == "3"  # the customer, the Query, the counter


def test_categories_and_order_stats_cost_one_request_each(api: Api) -> None:
    for query, headers in ((CATEGORIES, {}), (ORDER_STATS, _staff())):
        response = api.post(query, headers=headers)
        assert "errors" not in response.json(), response.json()
        assert response.headers["x-dynamodb-requests"] == "1"  # one Query; one BatchGetItem of 50 keys


def test_order_stats_is_for_staff_and_admins_only(api: Api) -> None:
    customer = bearer(shared_issuer().token(f"counted-{uuid.uuid4().hex[:8]}"))
    for headers, code in ((customer, "FORBIDDEN"), ({}, "UNAUTHENTICATED")):
        response = api.post(ORDER_STATS, headers=headers)
        assert response.json()["errors"][0]["extensions"]["code"] == code
        assert response.headers["x-dynamodb-requests"] == "0"
    assert len(api.data_of(ORDER_STATS, headers=_staff())["orderStats"]) == 5
    assert "categories" in api.data_of(CATEGORIES, headers=customer)


def test_validate_reports_a_counter_broken_by_a_direct_write_and_backfill_mends_it(api: Api) -> None:
    category = f"broken-{uuid.uuid4().hex[:8]}"
    create_product(api, category=category)

    async def break_it(dynamo: Dynamo) -> None:
        # Another shard than the one the product's own write used, maybe: validate sums them all.
        await Transaction(dynamo).add(counters.add(counters.PRODUCTS_BY_CATEGORY, category, 2)).commit()

    run_with_dynamo(api.settings, break_it)
    assert _broken_counters(api) == [
        f"VIOLATION counters: Counters(ProductsByCategory, {category}): Count 3, Amount 0 but a recount gives 1, 0"
    ]

    # `graphql-api backfill counters`: the counter corrected, none left moving; a second run changes nothing.
    rebuilt = run_with_dynamo(api.settings, lambda dynamo: run_backfill(dynamo, BACKFILLS["counters"], segments=2))
    assert (rebuilt.counts.updated, rebuilt.counts.skipped, rebuilt.complete) == (1, 0, True)
    assert _broken_counters(api) == []
    again = run_with_dynamo(api.settings, lambda dynamo: run_backfill(dynamo, BACKFILLS["counters"], segments=2))
    assert (again.counts.updated, again.counts.skipped) == (0, 0)
    categories = {c["name"]: c["productCount"] for c in api.data_of(CATEGORIES)["categories"]}
    assert categories[category] == 1
