"""A small world for the single-table migration's tests: fresh tables with a demo data set copied into the single
table, the phase moved where a test wants it, and the API's writes a test makes in every phase."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.testclient import TestClient

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.migration.phase import PHASES, advance, current_phase
from graphql_api.ops.seed import Dataset, demo_dataset, write_dataset
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_backfill import backfill
from graphql_api.ops.single_table_replication import Applier, replicate, replicated_tables
from graphql_api.ops.single_table_verify import Parity, verify
from graphql_api.ops.table_admin import create_tables
from graphql_api.services import services_of
from graphql_api.settings import Settings
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.support.api import run_with_dynamo

PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId version } }"
CANCEL = "mutation($o: ID!, $v: Int!) { cancelOrder(orderId: $o, expectedVersion: $v) { orderId version status } }"
UPDATE_PRODUCT = "mutation($i: UpdateProductInput!) { updateProduct(input: $i) { productId version } }"
CREATE_CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId } }"
CREATE_REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { reviewId } }"


def prepare(settings: Settings, phase: str = "dual-write", products: int = 5, *, streams: bool = False) -> None:
    """Fresh tables, a demo data set, the single table backfilled, the phase moved (one step at a time) to `phase`;
    with `streams`, the old tables are created with the streams replication reads (see `backfilled`)."""

    async def run(dynamo: Dynamo) -> None:
        dataset = demo_dataset(seed=7, customer_count=3, product_count=products, order_count=4)
        await backfilled(dynamo, dataset, streams=streams)
        await move_to(dynamo, phase)

    run_with_dynamo(settings, run)


async def backfilled(dynamo: Dynamo, dataset: Dataset, *, streams: bool = False) -> None:
    """Fresh tables of both layouts, `dataset` written to the old ones and backfilled into the single table.

    With `streams`, the old tables get replication's streams when created, as the operator's Terraform makes
    them (decision 0009), so `migrate start` has none to turn on: DynamoDB Local's UpdateTable waited minutes on
    a lock under the whole suite's load (test_single_table_streams turns them on with UpdateTable)."""
    streamed = {table.name: table for table in replicated_tables(Layout())} if streams else {}
    await create_tables(dynamo, tables=[streamed.get(table.name, table) for table in ALL_TABLES])
    await create_tables(dynamo, tables=(Layout().table,))
    await write_dataset(dynamo, dataset)
    await backfill(dynamo, Layout())


async def move_to(dynamo: Dynamo, phase: str) -> None:
    current = (await current_phase(dynamo)).name
    for step in PHASES[PHASES.index(current) + 1 : PHASES.index(phase) + 1]:
        await advance(dynamo, step)


def items(settings: Settings, table: str) -> list[dict[str, Any]]:
    """Every item of a table named logically (`Products`, or the single table `App`)."""

    async def scan(dynamo: Dynamo) -> list[dict[str, Any]]:
        found, params = [], {"TableName": dynamo.table_prefix + table, "ConsistentRead": True}
        while True:
            page = await dynamo.call("scan", **params)
            found += [deserialize_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                return found
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    result: list[dict[str, Any]] = run_with_dynamo(settings, scan)
    return result


def parity(settings: Settings) -> Parity:
    result: Parity = run_with_dynamo(settings, lambda dynamo: verify(dynamo, Layout()))
    return result


@dataclass
class Writer:
    """The API's writes of the migration's tests, through the app as an admin or a new customer."""

    client: TestClient

    def call(self, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = self.client.post(
            "/graphql", json={"query": query, "variables": variables}, headers=headers or admin_headers()
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def ok(self, query: str, variables: dict[str, Any], headers: dict[str, str] | None = None) -> dict[str, Any]:
        body = self.call(query, variables, headers)
        assert "errors" not in body, body["errors"]
        data: dict[str, Any] = body["data"]
        return data

    def place(self, customer_id: str, product_ids: list[str]) -> dict[str, Any]:
        lines = [{"productId": product, "quantity": 1} for product in product_ids]
        order: dict[str, Any] = self.ok(PLACE, {"i": {"customerId": customer_id, "items": lines}})["placeOrder"]
        return order

    def cancel(self, order: dict[str, Any]) -> dict[str, Any]:
        cancelled: dict[str, Any] = self.ok(CANCEL, {"o": order["orderId"], "v": order["version"]})["cancelOrder"]
        return cancelled

    def update_product(self, product: dict[str, Any], **changes: Any) -> dict[str, Any]:
        variables = {"i": {"productId": product["ProductId"], "expectedVersion": int(product["Version"]), **changes}}
        updated: dict[str, Any] = self.ok(UPDATE_PRODUCT, variables)["updateProduct"]
        return updated

    def review(self, product_id: str) -> str:
        """A new customer (a new identity) reviews the product: createCustomer, then createReview."""
        sub = f"st-{uuid.uuid4().hex[:12]}"
        headers = bearer(shared_issuer().token(sub))
        self.ok(CREATE_CUSTOMER, {"i": {"email": f"{sub}@example.com", "name": f"Name {sub}"}}, headers)
        review = {"productId": product_id, "rating": 4, "title": "Fine", "body": "Works."}
        review_id: str = self.ok(CREATE_REVIEW, {"i": review}, headers)["createReview"]["reviewId"]
        return review_id


class Replicating:
    """`graphql-api migrate replicate`'s code in a thread of its own (its own event loop), until `stop()`."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="replicate", daemon=True)
        self.applier: Applier | None = None

    def _run(self) -> None:
        async def run() -> None:
            self._loop, self._stop = asyncio.get_running_loop(), asyncio.Event()
            self._ready.set()
            self.applier = await replicate(self._settings.replace(live_lease_seconds=3.0), Layout(), self._stop)

        asyncio.run(run())

    def __enter__(self) -> Replicating:
        self._thread.start()
        assert self._ready.wait(30)
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None
        assert self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(60)


def until(condition: Callable[[], bool], within: float, message: str) -> None:
    """Wait for `condition` (polled), failing with `message` after `within` seconds (generous: a shared machine)."""
    deadline = time.monotonic() + within
    while not condition():
        assert time.monotonic() < deadline, message
        time.sleep(0.1)


def follows(client: TestClient, phase: str) -> bool:
    watch = services_of(client.app).migration  # type: ignore[arg-type]
    return watch is not None and watch.state.phase == phase
