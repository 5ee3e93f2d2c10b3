"""Fault tolerance with real injected faults, on both backends.

The service talks to DynamoDB through `tests.faults.proxy.FaultProxy`, which throttles a seeded
fraction of requests, reports items of batch reads and writes as unprocessed, loses replies after
the write happened, or stops answering altogether. Whatever it does, a client gets either the
complete answer or an error it can act on (THROTTLED, UNAVAILABLE): never a response with items
silently missing, a stack trace, AWS detail, an HTTP 5xx, or a hang.

How long a stopped DynamoDB takes to become UNAVAILABLE: every DynamoDB call makes at most
DYNAMODB_MAX_ATTEMPTS attempts, each bounded by DYNAMODB_CONNECT_TIMEOUT to connect and
DYNAMODB_READ_TIMEOUT to read, with botocore's backoff of at most 2**(n-1) s before retry n;
a GraphQL request stops at its first failed call. With the defaults (3 attempts, 2 s, 5 s): a
stopped DynamoDB (connection refused) is UNAVAILABLE within the backoff, at most 1 + 2 = 3 s; a
stalled one (connections accepted, never answered) within 3 x 5 + 3 = 18 s, and 3 x (2 + 5) + 3
= 24 s at worst if connecting stalls too. `/readyz` has the same bound. The tests below set 2
attempts and 0.5 s timeouts and assert that bound at that scale (2 x (0.5 + 0.5) + 1 = 3 s).
"""

from __future__ import annotations

import json
import os
import re
import time
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo import transactions
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.errors import Throttled
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.migration.phase import MIGRATION
from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.order_writes import order_id_for
from graphql_api.repositories.products import PRODUCTS
from graphql_api.settings import Settings
from tests import fixtures_data
from tests.faults.proxy import Counts, FaultProxy
from tests.issuer import admin_headers
from tests.operations import (
    CANCEL_ORDER,
    CANONICAL,
    GET_PRODUCT,
    PLACE_ORDER,
    create_customer,
    create_product,
    order_input,
)
from tests.support import Api, fresh_settings, run_with_dynamo, snapshot

SEED = 20260
CONCURRENCY = 32
# Sized for a quick run on a small machine; TEST_FAULT_RUNS=40 (say) makes a longer soak of the reads.
CANONICAL_RUNS = int(os.environ.get("TEST_FAULT_RUNS", "16"))
LISTING_RUNS = max(2, CANONICAL_RUNS // 5)
PAGE_ATTEMPTS = 10
ORDER_ATTEMPTS = 25
RETRYABLE = frozenset({"THROTTLED", "UNAVAILABLE"})
# What would mean an internal detail reached a client: a stack, AWS error types, endpoints, table names.
LEAKS = (
    "Traceback",
    "botocore",
    "Exception",
    "amazon",
    "Throughput",
    "RequestLimit",
    "InternalServerError",
    "127.0.0.1",
)
TABLE_PREFIX = re.compile(r"t[0-9a-f]{8}-")

CATEGORY_PAGE = """query($after: String) {
  productsByCategory(category: "canonical", first: 12, after: $after) {
    edges { cursor node { productId name price stock } } pageInfo { hasNextPage endCursor } } }"""
STATUS_PAGE = """query($after: String) {
  ordersByStatus(status: PAID, first: 25, after: $after) {
    edges { cursor node { orderId status total items { quantity lineTotal product { productId name } } } }
    pageInfo { hasNextPage endCursor } } }"""
FILTERED_ORDERS_PAGE = """query($id: ID!, $after: String) {
  customer(customerId: $id) { name orders(first: 2, status: CANCELLED, after: $after) {
    edges { cursor node { orderId status total items { quantity product { name } } } }
    pageInfo { hasNextPage endCursor } } } }"""


@dataclass
class Faulty:
    """The service's view of DynamoDB through the fault proxy, on its own tables with the test data."""

    proxy: FaultProxy
    direct: Settings
    """Straight to the backend: set-up and snapshots."""
    settings: Settings
    """Through the proxy: what the service under test uses."""
    data: fixtures_data.TestData


@pytest.fixture(scope="module")
def faulty(endpoint: str, test_data: fixtures_data.TestData) -> Iterator[Faulty]:
    direct = fresh_settings(endpoint)

    async def prepare(dynamo: Dynamo) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, test_data.dataset)

    run_with_dynamo(direct, prepare)
    with FaultProxy(endpoint, seed=SEED) as proxy:
        yield Faulty(proxy=proxy, direct=direct, settings=direct.with_endpoint(proxy.url), data=test_data)


def _empty_tables(faulty: Faulty) -> tuple[Settings, Settings]:
    """A new set of empty tables at the backend: its settings directly and through the proxy."""
    direct = fresh_settings(faulty.direct.dynamodb_endpoint_url or "")
    run_with_dynamo(direct, create_tables)
    return direct, direct.with_endpoint(faulty.proxy.url)


@pytest.fixture
def proxy(faulty: Faulty) -> Iterator[FaultProxy]:
    """The module's proxy, fault-free and up at the start and at the end of every test."""
    faulty.proxy.configure(seed=SEED)
    faulty.proxy.up()
    faulty.proxy.reset()
    yield faulty.proxy
    faulty.proxy.configure()
    faulty.proxy.up()


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    name: str = request.node.callspec.params["endpoint"]
    return name


def _post(client: TestClient, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    response = client.post("/graphql", json={"query": query, "variables": variables}, headers=admin_headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    _assert_no_leak(json.dumps(body.get("errors") or []))
    return body


def _answered(client: TestClient, query: str, variables: dict[str, Any], within: float = 30.0) -> dict[str, Any]:
    """The first answer without errors, asking again until `within` seconds have passed: a reachable but busy
    backend (a loaded machine, a server just back up) may time a call out now and then; that is not what the
    outage tests are about, and their own bounds are checked on the failing answers."""
    deadline = time.monotonic() + within
    while True:
        body = _post(client, query, variables)
        if "errors" not in body or time.monotonic() > deadline:
            assert "errors" not in body, body["errors"]
            return body


def _assert_no_leak(text: str) -> None:
    for word in LEAKS:
        assert word.lower() not in text.lower(), text
    assert not TABLE_PREFIX.search(text), text


def _codes(body: dict[str, Any]) -> set[str]:
    return {error["extensions"]["code"] for error in body.get("errors") or []}


@dataclass
class Tally:
    """How the responses under faults came out."""

    complete: int = 0
    throttled: int = 0
    partial: int = 0
    other: list[dict[str, Any]] = field(default_factory=list)

    def add(self, body: dict[str, Any], expected: dict[str, Any]) -> str:
        codes = _codes(body)
        if not codes:
            if body["data"] == expected:
                self.complete += 1
                return "complete"
            self.partial += 1
            return "partial"
        if codes == {"THROTTLED"}:
            self.throttled += 1
            return "throttled"
        self.other.append(body)
        return "other"

    @property
    def responses(self) -> int:
        return self.complete + self.throttled + self.partial + len(self.other)


# A listing is walked page by page; the fault-free walk gives the expected page for each cursor.
Pages = dict[str | None, dict[str, Any]]
Pick = Callable[[dict[str, Any]], dict[str, Any]]


def _walk_fault_free(client: TestClient, query: str, variables: dict[str, Any], pick: Pick) -> Pages:
    pages: Pages = {}
    after: str | None = None
    for _ in range(100):
        body = _post(client, query, {**variables, "after": after})
        assert "errors" not in body, body
        pages[after] = body["data"]
        page_info = pick(body["data"])["pageInfo"]
        if not page_info["hasNextPage"]:
            return pages
        after = page_info["endCursor"]
    raise AssertionError("a listing of the test data has fewer than 100 pages")


def _walk_under_faults(
    client: TestClient, query: str, variables: dict[str, Any], pick: Pick, expected: Pages, tally: Tally
) -> bool:
    """Walk to the end, each page retried while THROTTLED (bounded); True if the walk completed."""
    after: str | None = None
    for _ in range(len(expected)):
        for _ in range(PAGE_ATTEMPTS):
            outcome = tally.add(_post(client, query, {**variables, "after": after}), expected[after])
            if outcome != "throttled":
                break
        if outcome != "complete":
            return False
        page_info = pick(expected[after])["pageInfo"]
        if not page_info["hasNextPage"]:
            return True
        after = page_info["endCursor"]
    return False


def _report(backend: str, what: str, counts: Counts, **figures: Any) -> None:
    faults = (
        f"throttles={counts.throttled} {dict(counts.throttles_by_type)} unprocessed_keys_moved={counts.unprocessed_keys}"
        f" unprocessed_writes={counts.unprocessed_items} lost_replies={counts.server_errors} hung={counts.hung}"
    )
    shown = " ".join(f"{name}={value}" for name, value in figures.items())
    print(f"\n[{backend}] {what}: {shown}; dynamodb_requests={counts.requests} {dict(counts.by_operation)}; {faults}")


def test_reads_under_throttling_and_unprocessed_keys_are_complete_or_throttled(
    faulty: Faulty, proxy: FaultProxy, backend: str
) -> None:
    """The canonical query and every listing, many times at once: complete, or THROTTLED; never partial.

    Single requests (the canonical query, a page of ordersByStatus with its items and products)
    run concurrently with walks to the end (productsByCategory; Customer.orders filtered by
    status), whose pages a client retries while THROTTLED (bounded).
    """
    singles: dict[str, tuple[str, dict[str, Any]]] = {
        "canonical": (CANONICAL, {"id": faulty.data.canonical.customer_id}),
        "ordersByStatus": (STATUS_PAGE, {"after": None}),
    }
    walks: dict[str, tuple[str, dict[str, Any], Pick]] = {
        "productsByCategory": (CATEGORY_PAGE, {}, lambda data: data["productsByCategory"]),
        "Customer.orders(status)": (
            FILTERED_ORDERS_PAGE,
            {"id": faulty.data.sparse.customer_id},
            lambda data: data["customer"]["orders"],
        ),
    }
    with TestClient(create_app(faulty.settings), raise_server_exceptions=False) as client:
        expected = {name: _post(client, query, variables) for name, (query, variables) in singles.items()}
        assert not any("errors" in body for body in expected.values())
        assert len(expected["canonical"]["data"]["customer"]["orders"]["edges"]) == 20
        assert len(expected["ordersByStatus"]["data"]["ordersByStatus"]["edges"]) == 25
        expected_pages = {name: _walk_fault_free(client, *walk) for name, walk in walks.items()}
        assert [len(pages) for pages in expected_pages.values()] == [5, 2]
        assert proxy.reset().throttled == 0

        proxy.configure(throttle=0.2, unprocessed=0.5, seed=SEED)
        tallies = {name: Tally() for name in [*singles, *walks]}
        walked = Counter[str]()

        def single(name: str) -> None:
            query, variables = singles[name]
            tallies[name].add(_post(client, query, variables), expected[name]["data"])

        def walk(name: str) -> None:
            done = _walk_under_faults(client, *walks[name], expected_pages[name], tallies[name])
            walked["complete" if done else "abandoned"] += 1

        # The walks first: they are sequential, the longest path; the single requests fill in around them.
        jobs: list[Callable[[], None]] = [partial(walk, name) for _ in range(LISTING_RUNS) for name in walks]
        jobs += [partial(single, "ordersByStatus")] * (2 * LISTING_RUNS)
        jobs += [partial(single, "canonical")] * CANONICAL_RUNS
        started = time.monotonic()
        with ThreadPoolExecutor(min(CONCURRENCY, len(jobs))) as pool:
            for future in [pool.submit(job) for job in jobs]:
                future.result(timeout=120)
        elapsed = time.monotonic() - started
        counts = proxy.reset()

    total = Tally(
        complete=sum(t.complete for t in tallies.values()),
        throttled=sum(t.throttled for t in tallies.values()),
        partial=sum(t.partial for t in tallies.values()),
        other=[body for t in tallies.values() for body in t.other],
    )
    by_kind = {name: f"{t.complete}/{t.throttled}/{t.partial}" for name, t in tallies.items()}
    _report(
        backend,
        "reads under 20% throttling + 50% unprocessed keys",
        counts,
        graphql_responses=total.responses,
        complete=total.complete,
        throttled=total.throttled,
        partial=total.partial,
        other=len(total.other),
        complete_throttled_partial_by_kind=by_kind,
        walks=dict(walked),
        seconds=round(elapsed, 1),
    )
    assert total.partial == 0
    assert total.other == []
    assert total.complete > 0, "the faults were not exercised"
    assert total.throttled > 0, "the faults were not exercised"
    assert counts.throttled > 0
    assert counts.unprocessed_keys > 0
    assert walked["complete"] > 0


def test_bulk_writes_under_throttling_and_unprocessed_items_write_everything(
    faulty: Faulty, proxy: FaultProxy, backend: str
) -> None:
    """BatchWriteItem (seed, backfills): every item written in the end, or a clean THROTTLED to retry."""
    direct, proxied = _empty_tables(faulty)
    products = demo_dataset(seed=5, customer_count=1, product_count=120, order_count=0).products
    # Throttled throughout: THROTTLED (an ApiError the CLI reports), not a botocore error.
    proxy.configure(throttle=1.0)
    with pytest.raises(Throttled):
        run_with_dynamo(
            proxied.replace(dynamodb_max_attempts=1),
            lambda dynamo: put_items(dynamo, PRODUCTS.table, map(PRODUCTS.to_item, products)),
        )
    proxy.configure(throttle=0.2, unprocessed=0.3, seed=SEED)
    outcomes = Counter[str]()
    for _ in range(5):
        try:
            run_with_dynamo(proxied, lambda dynamo: put_items(dynamo, PRODUCTS.table, map(PRODUCTS.to_item, products)))
        except Throttled:
            outcomes["THROTTLED"] += 1
            continue
        outcomes["complete"] += 1
        break
    counts = proxy.reset()
    _report(backend, "bulk writes under 20% throttling + 30% unprocessed items", counts, outcomes=dict(outcomes))
    assert outcomes["complete"] == 1
    assert counts.throttled > 0
    assert counts.unprocessed_items > 0
    expected = [deserialize_item(serialize_item(PRODUCTS.to_item(product))) for product in products]
    assert snapshot(direct)["Products"] == sorted(expected, key=lambda item: str(item["ProductId"]))


def test_orders_placed_under_faults_exist_exactly_once(faulty: Faulty, proxy: FaultProxy, backend: str) -> None:
    """placeOrder with idempotency keys, each retried by its client until it succeeds.

    Throttling (plain, and inside the transaction), unprocessed keys in its reads, and replies
    lost after the transaction was applied: afterwards exactly one order per key, stock down by
    exactly the quantities placed, every line with its order, and OrderCount equal to the orders.
    """
    stock = 500
    direct, proxied = _empty_tables(faulty)
    with TestClient(create_app(proxied), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=proxied, data=faulty.data)
        customers = [create_customer(api)["customerId"] for _ in range(8)]
        products = [create_product(api, stock=stock, price="2.50")["productId"] for _ in range(4)]
        plan = {
            f"fault-{n:02d}": (customers[n % 8], [(products[n % 4], 1 + n % 3), (products[(n + 1) % 4], 2)])
            for n in range(16)
        }
        proxy.reset()

        proxy.configure(throttle=0.2, unprocessed=0.5, server_error=0.1, transaction_throttle=0.2, seed=SEED)
        placed: dict[str, str] = {}
        attempts = Counter[str]()

        def place(key: str) -> None:
            owner, lines = plan[key]
            for _ in range(ORDER_ATTEMPTS):
                body = _post(client, PLACE_ORDER, {"input": order_input(owner, lines, key)})
                codes = _codes(body)
                attempts[next(iter(codes)) if codes else "ok"] += 1
                if not codes:
                    placed[key] = body["data"]["placeOrder"]["orderId"]
                    return
                assert codes <= RETRYABLE, body
                time.sleep(0.01)

        # Every order at once: two per customer, each product in eight, so the transactions contend too.
        with ThreadPoolExecutor(len(plan)) as pool:
            for future in [pool.submit(place, key) for key in plan]:
                future.result(timeout=120)
        counts = proxy.reset()

        proxy.configure()
        after = snapshot(direct)

        # A replay of every key, fault-free, returns the same order and writes nothing.
        def replay(key: str) -> str:
            owner, lines = plan[key]
            order_id: str = _post(client, PLACE_ORDER, {"input": order_input(owner, lines, key)})["data"]["placeOrder"][
                "orderId"
            ]
            return order_id

        with ThreadPoolExecutor(len(plan)) as pool:
            assert dict(zip(plan, pool.map(replay, plan), strict=True)) == placed
        assert snapshot(direct) == after

    _report(
        backend,
        "placeOrder under 20% throttling (+20% in transactions) + 50% unprocessed keys + 10% lost replies",
        counts,
        orders=len(plan),
        attempts=dict(attempts),
    )
    assert set(placed) == set(plan)
    assert all(placed[key] == order_id_for(owner, key) for key, (owner, _) in plan.items())
    assert counts.throttled > 0
    assert counts.server_errors > 0

    # The tables hold only this test's data: every order, line and count is accounted for.
    assert Counter(order["IdempotencyKey"] for order in after["Orders"]) == Counter(dict.fromkeys(plan, 1))
    assert {order["OrderId"] for order in after["Orders"]} == set(placed.values())
    assert Counter(line["OrderId"] for line in after["OrderItems"]) == Counter(dict.fromkeys(placed.values(), 2))
    sold = Counter[str]()
    touched = Counter[str]()
    for _, lines in plan.values():
        for product, quantity in lines:
            sold[product] += quantity
            touched[product] += 1
    by_product = {item["ProductId"]: item for item in after["Products"]}
    for product in products:
        stored = by_product[product]
        assert stored["Stock"] == stock - sold[product], f"Stock of {product}: {stock} less {sold[product]} sold"
        assert stored["Version"] == 1 + touched[product], f"Version of {product}: 1 + {touched[product]} orders"
    orders_of = Counter(order["CustomerId"] for order in after["Orders"])
    assert {customer["CustomerId"]: customer["OrderCount"] for customer in after["Customers"]} == orders_of


def test_throttling_inside_a_transaction_is_throttled_and_writes_nothing(
    faulty: Faulty, proxy: FaultProxy, backend: str
) -> None:
    """A TransactWriteItems cancelled for ThrottlingError: THROTTLED, nothing written; a retry succeeds."""
    direct, proxied = _empty_tables(faulty)
    with TestClient(create_app(proxied), raise_server_exceptions=False) as client:
        api = Api(client=client, settings=proxied, data=faulty.data)
        customer = create_customer(api)["customerId"]
        product = create_product(api, stock=10)["productId"]
        order = {"input": order_input(customer, [(product, 3)], "throttled-transaction")}
        before = snapshot(direct)

        proxy.configure(transaction_throttle=1.0)
        placing = _post(client, PLACE_ORDER, order)
        assert snapshot(direct) == before
        proxy.configure()
        placed = _post(client, PLACE_ORDER, order)["data"]["placeOrder"]

        proxy.configure(transaction_throttle=1.0)
        cancel = {"id": placed["orderId"], "v": placed["version"]}
        cancelling = _post(client, CANCEL_ORDER, cancel)
        assert _post(client, GET_PRODUCT, {"id": product})["data"]["product"]["stock"] == 7
        proxy.configure()
        cancelled = _post(client, CANCEL_ORDER, cancel)["data"]["cancelOrder"]
        counts = proxy.reset()
        after = snapshot(direct)

    _report(
        backend, "every transaction throttled", counts, place=sorted(_codes(placing)), cancel=sorted(_codes(cancelling))
    )
    assert _codes(placing) == {"THROTTLED"}
    assert placing["data"] is None
    assert _codes(cancelling) == {"THROTTLED"}
    assert cancelling["data"] is None
    # Each mutation's transaction is retried MAX_ATTEMPTS times (nothing written) before THROTTLED.
    assert counts.throttles_by_type["TransactionCanceledException[ThrottlingError]"] == 2 * transactions.MAX_ATTEMPTS
    assert cancelled["status"] == "CANCELLED"
    assert [(o["OrderId"], o["Status"]) for o in after["Orders"]] == [(placed["orderId"], "CANCELLED")]
    assert [p["Stock"] for p in after["Products"]] == [10]
    assert [c["OrderCount"] for c in after["Customers"]] == [1]


def test_dynamodb_server_errors_are_unavailable_not_internal(faulty: Faulty, proxy: FaultProxy, backend: str) -> None:
    """DynamoDB's own 5xx (InternalServerError, ServiceUnavailable), after retries: UNAVAILABLE and 503."""
    settings = faulty.settings.replace(dynamodb_max_attempts=2)
    canonical = {"id": faulty.data.canonical.customer_id}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        proxy.configure(server_error=1.0)
        body = _post(client, CANONICAL, canonical)
        ready = client.get("/readyz")
        counts = proxy.reset()
        proxy.configure()
        recovered = _post(client, CANONICAL, canonical)
    _report(backend, "every reply a DynamoDB 500", counts, codes=sorted(_codes(body)), readyz=ready.status_code)
    assert _codes(body) == {"UNAVAILABLE"}
    assert ready.status_code == 503
    assert ready.json()["status"] == "unavailable"
    _assert_no_leak(ready.text)
    assert "errors" not in recovered


def test_readyz_stays_ready_while_dynamodb_throttles(faulty: Faulty, proxy: FaultProxy) -> None:
    """Throttling is load, not an outage: readiness must not flap and take replicas out."""
    settings = faulty.settings.replace(dynamodb_max_attempts=1)
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        proxy.configure(throttle=1.0)
        ready = client.get("/readyz")
        counts = proxy.reset()
    assert sum(counts.throttles_by_type.values()) >= 1
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "note": "DynamoDB is throttling"}


def _phase_polls(counts: Counts) -> int:
    """Hung calls of the instance's poll of the migration's phase (every MIGRATION_POLL_SECONDS): not the request's."""
    return sum(count for table, count in counts.hung_by_table.items() if table.endswith(MIGRATION.table.name))


@pytest.mark.parametrize("failure", ["down", "hang"])
def test_stopped_dynamodb_is_unavailable_in_bounded_time_and_recovers(
    faulty: Faulty, proxy: FaultProxy, backend: str, failure: str
) -> None:
    """down: connections refused (DynamoDB stopped); hang: accepted and never answered (stalled)."""
    attempts = 2
    # A read timeout a busy moto still answers within (it serves one request at a time; under a CPU hog a
    # BatchGetItem of 60 products took over 0.5 s), yet short enough to bound the outage well under 10 s.
    settings = faulty.settings.replace(
        dynamodb_connect_timeout=0.5, dynamodb_read_timeout=2.0, dynamodb_max_attempts=attempts
    )
    backoff = sum(2**n for n in range(attempts - 1))
    # The worst case at these settings (the rate limiter's charge given up first, after RATE_LIMIT_STORE_TIMEOUT),
    # plus a second for a loaded machine: under 10 s.
    limiter = settings.rate_limit_store_timeout
    bound = attempts * (settings.dynamodb_connect_timeout + settings.dynamodb_read_timeout) + backoff + limiter + 1.0
    assert bound < 10
    canonical = {"id": faulty.data.canonical.customer_id}
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        expected = _answered(client, CANONICAL, canonical)
        assert client.get("/readyz").status_code == 200
        proxy.reset()

        if failure == "down":
            proxy.down()
        else:
            proxy.hang()
        started = time.monotonic()
        body = _post(client, CANONICAL, canonical)
        query_seconds = time.monotonic() - started
        during_query = proxy.counts()
        # The instance's poll of the migration's phase (every MIGRATION_POLL_SECONDS) may fall in this window.
        hung_by_query = during_query.hung - _phase_polls(during_query)
        started = time.monotonic()
        ready = client.get("/readyz")
        ready_seconds = time.monotonic() - started
        counts = proxy.reset()

        proxy.up()
        statuses = []
        for _ in range(50):  # bounded: at most ~10 s
            statuses.append(client.get("/readyz").status_code)
            if statuses[-1] == 200:
                break
            time.sleep(0.2)
        recovered = _answered(client, CANONICAL, canonical)

    _report(
        backend,
        f"DynamoDB {failure}",
        counts,
        query_code=sorted(_codes(body)),
        query_seconds=round(query_seconds, 2),
        readyz=ready.status_code,
        readyz_seconds=round(ready_seconds, 2),
        readyz_after_up=statuses,
    )
    assert _codes(body) == {"UNAVAILABLE"}
    assert body["data"] == {"customer": None}
    assert query_seconds < bound
    assert ready_seconds < bound
    if failure == "hang":
        # Each DynamoDB call makes exactly DYNAMODB_MAX_ATTEMPTS attempts, not one more; the rate limiter's charge
        # one, given up after RATE_LIMIT_STORE_TIMEOUT (the request is then served: RATE_LIMIT_FAIL_OPEN).
        assert hung_by_query == attempts + 1
        # /readyz answers at its first failed table; the other checks may still be in their backoff.
        most = 1 + attempts * (1 + len(ALL_TABLES))  # the limiter's, the query's attempts, a readyz check per table
        hung = counts.hung - _phase_polls(counts)
        assert attempts + 1 < hung <= most, f"hung calls: {hung}, expected over {attempts}, at most {most}"
    assert ready.status_code == 503
    assert ready.json() == {"status": "unavailable", "reason": "database unreachable"}
    assert statuses[-1] == 200
    assert recovered == expected
