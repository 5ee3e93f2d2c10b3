"""The whole migration under a real concurrent write load: the API's placeOrder, cancelOrder, createReview and
updateProduct, and direct DynamoDB writes to the old tables (another writer), while the phase moves through
dual-write, backfill, verify and reads with `migrate replicate`'s code running; then parity exact, every invariant
holding in both layouts, no acknowledged write missing; cutover with writes to the single table only, and the
rollback from it leaving the old layout with those writes. Rollback from each earlier phase leaves the old layout
exact."""

from __future__ import annotations

import random
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.migration.phase import MIGRATION, advance, current_phase, read_state, reads_key
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_backfill import backfill
from graphql_api.ops.single_table_steps import cutover, rollback, start
from graphql_api.ops.single_table_verify import validate_single
from graphql_api.ops.validate import validate_tables
from graphql_api.repositories.order_items import MAX_LINES
from graphql_api.settings import Settings
from tests.support import fresh_settings, plain_client, run_with_dynamo
from tests.support.single_table import Replicating, Writer, follows, items, parity, prepare, until

pytestmark = pytest.mark.one_backend  # threads, a replicator and a minute of load: DynamoDB Local only

REFUSED_UNDER_LOAD = {"CONFLICT", "VERSION_MISMATCH", "INSUFFICIENT_STOCK", "INVALID_TRANSITION", "UNAVAILABLE"}
"""Answers a write may get when another write got there first, or when DynamoDB Local, loaded by the whole suite,
tells it to retry later: not acknowledged, so not expected anywhere (a transaction writes both layouts or none,
so parity holds whether it applied or not)."""


@dataclass
class Acknowledged:
    orders: dict[str, str] = field(default_factory=dict)
    """Order id -> its status as last acknowledged."""
    reviews: set[str] = field(default_factory=set)
    names: dict[str, str] = field(default_factory=dict)
    """Product id -> the name updateProduct last set."""
    descriptions: dict[str, str] = field(default_factory=dict)
    """Product id -> the description a direct write last set (outside the API)."""


class Load:
    """Writes until stopped: the API's from one thread, direct DynamoDB writes from another."""

    def __init__(self, client: TestClient, settings: Settings, customers: list[str], products: list[str]) -> None:
        self.writer = Writer(client)
        self.settings = settings
        self.customers, self.products = customers, products
        self.done = Acknowledged()
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.failures: list[str] = []
        self.writes = 0
        self.threads = [threading.Thread(target=self._api), threading.Thread(target=self._direct)]

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(120)
        assert not self.failures, self.failures

    def _answer(self, body: dict[str, Any]) -> dict[str, Any] | None:
        if "errors" not in body:
            with self.lock:
                self.writes += 1
            return body["data"]  # type: ignore[no-any-return]
        code = body["errors"][0].get("extensions", {}).get("code")
        if code not in REFUSED_UNDER_LOAD:
            self.failures.append(str(body["errors"]))
        return None

    def _api(self) -> None:
        try:
            self._api_writes()
        except Exception as error:  # the thread's failure, reported by __exit__
            self.failures.append(repr(error))

    def _api_writes(self) -> None:
        chooser = random.Random(5)
        placed: list[dict[str, Any]] = []
        while not self.stopping.is_set():
            kind = chooser.choice(["place", "place", "cancel", "review", "rename"])
            if kind == "place" or (kind == "cancel" and not placed):
                lines = [{"productId": p, "quantity": 1} for p in chooser.sample(self.products, 2)]
                variables = {"i": {"customerId": chooser.choice(self.customers), "items": lines}}
                data = self._answer(self.writer.call(PLACE, variables))
                if data:
                    placed.append(data["placeOrder"])
                    self.done.orders[data["placeOrder"]["orderId"]] = "PENDING"
            elif kind == "cancel":
                order = placed.pop(chooser.randrange(len(placed)))
                data = self._answer(self.writer.call(CANCEL, {"o": order["orderId"], "v": order["version"]}))
                if data:
                    self.done.orders[order["orderId"]] = "CANCELLED"
            elif kind == "review":
                try:
                    self.done.reviews.add(self.writer.review(chooser.choice(self.products)))
                except AssertionError as refused:  # the writer's own check of the answer: not acknowledged
                    if not any(code in str(refused) for code in REFUSED_UNDER_LOAD):
                        raise
                    continue
                with self.lock:
                    self.writes += 2
            else:
                product = chooser.choice(self.products)
                version = self.writer.ok(VERSION, {"id": product})["product"]["version"]
                name = f"Name {uuid.uuid4().hex[:6]}"
                data = self._answer(
                    self.writer.call(UPDATE, {"i": {"productId": product, "expectedVersion": version, "name": name}})
                )
                if data:
                    self.done.names[product] = name

    def _direct(self) -> None:
        """Another writer: a product's description changed with a plain UpdateItem, its Version bumped."""
        client = plain_client(str(self.settings.dynamodb_endpoint_url), self.settings.aws_region)
        chooser = random.Random(7)
        while not self.stopping.wait(0.05):
            product, description = chooser.choice(self.products), f"direct {uuid.uuid4().hex[:6]}"
            client.update_item(
                TableName=self.settings.table_prefix + "Products",
                Key={"ProductId": {"S": product}},
                UpdateExpression="SET Description = :d, Version = Version + :one",
                ExpressionAttributeValues={":d": {"S": description}, ":one": {"N": "1"}},
            )
            with self.lock:
                self.done.descriptions[product] = description
                self.writes += 1


PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId version } }"
CANCEL = "mutation($o: ID!, $v: Int!) { cancelOrder(orderId: $o, expectedVersion: $v) { orderId version } }"
UPDATE = "mutation($i: UpdateProductInput!) { updateProduct(input: $i) { productId version } }"
VERSION = "query($id: ID!) { product(productId: $id) { version } }"


def _world(settings: Settings, product_count: int = 5) -> tuple[list[str], list[str]]:
    # A demo data set, copied once (the backfill below copies again); the streams on, as Terraform leaves them.
    prepare(settings, "design", product_count, streams=True)
    customers = [item["CustomerId"] for item in items(settings, "Customers")]
    return customers, [item["ProductId"] for item in items(settings, "Products")]


def _move(settings: Settings, to: str) -> None:
    run_with_dynamo(settings, lambda dynamo: advance(dynamo, to))


def _all_reads_moved(dynamo: Dynamo) -> Any:
    """What the read side's `migrate reads 100` records (graphql_api.migration.read_routing)."""
    item = MIGRATION.to_item(MIGRATION.model(key=reads_key("*"), percent=100))
    return dynamo.call(
        "put_item", TableName=MIGRATION.table.physical_name(dynamo.table_prefix), Item=serialize_item(item)
    )


def _violations(settings: Settings) -> tuple[list[str], list[str]]:
    async def run(dynamo: Dynamo) -> tuple[list[str], list[str]]:
        old = (await validate_tables(dynamo)).violations
        single = await validate_single(dynamo, Layout())
        return [v.line() for v in old], [v.line() for v in single]

    result: tuple[list[str], list[str]] = run_with_dynamo(settings, run)
    return result


def _holds(settings: Settings, done: Acknowledged, layout_items: dict[str, list[dict[str, Any]]]) -> None:
    """Every acknowledged write is in the layout's items (by type tag)."""
    orders = {item["OrderId"]: item for item in layout_items["ORDER"]}
    for order_id, status in done.orders.items():
        assert order_id in orders, f"acknowledged order {order_id} missing"
        assert orders[order_id]["Status"] == status
    reviews = {item["ReviewId"] for item in layout_items["REVIEW"]}
    assert done.reviews <= reviews
    products = {item["ProductId"]: item for item in layout_items["PRODUCT"]}
    for product, name in done.names.items():
        assert products[product]["Name"] == name or products[product]["Version"] > 1
    for product, description in done.descriptions.items():
        assert products[product]["Description"] == description


def _by_type(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row["Type"], []).append(row)
    return grouped


def _old_by_type(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    return {
        tag: items(settings, table)
        for tag, table in (("ORDER", "Orders"), ("REVIEW", "Reviews"), ("PRODUCT", "Products"))
    }


def test_the_whole_path_under_a_concurrent_write_load(endpoint: str) -> None:
    settings = fresh_settings(endpoint, migration_poll_seconds=0.5)
    customers, products = _world(settings, product_count=MAX_LINES)
    with Replicating(settings) as replicating, TestClient(create_app(settings)) as client:
        with Load(client, settings, customers, products) as load:
            assert run_with_dynamo(settings, lambda dynamo: start(dynamo, Layout()))
            until(lambda: follows(client, "dual-write"), 10, "the instance did not follow dual-write within 10 s")
            # The largest order: its twins do not all fit in DynamoDB's 100 actions; replication writes the rest.
            largest = Writer(client).place(customers[0], products)
            load.done.orders[largest["orderId"]] = "PENDING"
            _move(settings, "backfill")
            result = run_with_dynamo(settings, lambda dynamo: backfill(dynamo, Layout(), segments=2))
            assert result.complete
            _move(settings, "verify")
            run_with_dynamo(settings, _all_reads_moved)
            _move(settings, "reads")
            until(lambda: load.writes >= 40, 120, "the load made fewer than 40 writes")
        # Writes quiet: the replication catches up with the last direct writes, then the layouts are one.
        until(lambda: parity(settings).same, 60, "no parity:\n" + "\n".join(parity(settings).lines()))
        assert _violations(settings) == ([], [])
        _holds(settings, load.done, _by_type(items(settings, "App")))
        _holds(settings, load.done, _old_by_type(settings))

        # Cutover: the single table alone takes the writes; rollback copies them back.
        assert run_with_dynamo(settings, lambda dynamo: cutover(dynamo, Layout()))
        until(lambda: follows(client, "cutover"), 10, "the instance did not follow cutover within 10 s")
        writer = Writer(client)
        at_cutover = [writer.place(customers[index], [products[index]])["orderId"] for index in range(2)]
        assert not set(at_cutover) & {item["OrderId"] for item in items(settings, "Orders")}
        lines = run_with_dynamo(settings, lambda dynamo: rollback(dynamo, Layout(), follow_seconds=1.5))
        assert run_with_dynamo(settings, current_phase).name == "design", lines
        assert run_with_dynamo(settings, read_state)[1] == {}  # a new reads phase starts with none moved
    assert replicating.applier is not None
    assert replicating.applier.applied > 0  # the direct writes came through the streams
    orders = {item["OrderId"] for item in items(settings, "Orders")}
    assert set(at_cutover) <= orders
    assert set(load.done.orders) <= orders
    assert sum(line["OrderId"] in at_cutover for line in items(settings, "OrderItems")) == 2
    assert _violations(settings)[0] == []


def test_rollback_from_each_phase_leaves_the_old_layout_exact(endpoint: str) -> None:
    settings = fresh_settings(endpoint, migration_poll_seconds=0.5)
    customers, products = _world(settings)
    phases = ("dual-write", "backfill", "verify", "reads")
    with TestClient(create_app(settings)) as client:
        for index, phase in enumerate(phases):
            run_with_dynamo(settings, lambda dynamo: start(dynamo, Layout()))
            for step in phases[1 : index + 1]:
                _move(settings, step)
            until(lambda: follows(client, phase), 10, f"the instance did not follow {phase}")  # noqa: B023
            order = Writer(client).place(customers[index % len(customers)], [products[index]])
            before = {table: items(settings, table) for table in ("Orders", "OrderItems", "Products", "Counters")}
            run_with_dynamo(settings, lambda dynamo: rollback(dynamo, Layout(), follow_seconds=0))
            assert run_with_dynamo(settings, current_phase).name == "design"
            until(lambda: follows(client, "design"), 10, f"the instance did not follow the rollback from {phase}")
            assert {table: items(settings, table) for table in before} == before
            assert order["orderId"] in {item["OrderId"] for item in before["Orders"]}
    assert _violations(settings)[0] == []
