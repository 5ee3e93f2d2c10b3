"""Subscriptions under LIVE_BUS across the single-table migration's cutover and rollback (DynamoDB Local).

Two `serve` instances on LIVE_BUS (they read no stream) and one `graphql-api relay`, a real redis-server. From the
reads phase the relay also reads the single table's stream, each record published as its old table's
(graphql_api.live.relay), through the filter shared in Redis (graphql_api.live.bus_dedupe): orderChanged and
ordersChanged opened in `reads` receive a cancelOrder made at cutover (written to the single table alone) and one
made after the rollback, each exactly once on each instance (the rollback's copy back into the old tables and the
dual-written copies are no changes to show twice).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from graphql_api.dynamo.client import open_dynamo
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_steps import rollback
from graphql_api.settings import Settings
from tests.issuer import admin_headers
from tests.live_client import LiveClient, active_subscriptions, until_subscribed
from tests.support import fresh_settings
from tests.support.live_bus import RedisServer, bus_env, instance, processes, relay, until
from tests.support.single_table import CANCEL, PLACE, items, move_to, prepare

pytestmark = pytest.mark.one_backend  # three processes and Redis: DynamoDB Local only

ORDER_CHANGED = "subscription($id: ID!) { orderChanged(orderId: $id) { orderId status } }"
ORDERS_CHANGED = "subscription { ordersChanged { order { orderId status } previousStatus } }"
POLL = 0.5
WITHIN = 60.0
"""An expected event or phase arrives as soon as it can; the bound is for a busy shared machine."""


async def graphql(url: str, query: str, variables: dict[str, Any]) -> Any:
    """The answer's data as the admin (failing on any error)."""
    async with httpx2.AsyncClient(timeout=60) as client:
        body = (await client.post(url, json={"query": query, "variables": variables}, headers=admin_headers())).json()
    assert "errors" not in body, body
    return body["data"]


async def place(url: str, customer_id: str, product_id: str) -> dict[str, Any]:
    order = {"customerId": customer_id, "items": [{"productId": product_id, "quantity": 1}]}
    placed: dict[str, Any] = (await graphql(url, PLACE, {"i": order}))["placeOrder"]
    return placed


def order_ids(settings: Settings, table: str) -> set[str]:
    return {item["OrderId"] for item in items(settings, table) if "OrderId" in item}


async def until_writing(settings: Settings, url: str, customer: str, product: str, phase: str) -> None:
    """Wait until the instance writes as `phase` does: an order it places reaches the single table alone (cutover)
    or the old tables alone (design). Its watcher polls every POLL seconds."""
    absent_from = {"cutover": "Orders", "design": Layout().table.name}[phase]
    deadline = time.monotonic() + WITHIN
    while (await place(url, customer, product))["orderId"] in await asyncio.to_thread(order_ids, settings, absent_from):
        assert time.monotonic() < deadline, f"{url} did not follow {phase} within {WITHIN} s"
        await asyncio.sleep(POLL / 2)


def single_table_leases(settings: Settings) -> list[dict[str, Any]]:
    """The lease table's items of the single table's shards (`<single table>@<overlap>#<shard>`)."""
    prefix = f"{Layout().table.name}@"
    leases = items(settings, "LiveLeases")
    return [item for item in leases if item["LeaseKey"].startswith(prefix) and "Owner" in item]


def single_table_leased(settings: Settings) -> bool:
    """Whether a relay holds a lease of the single table's stream now."""
    now = time.time() * 1000
    return any(item["ExpiresAt"] > now for item in single_table_leases(settings))


async def changes(client: LiveClient, watched: set[str], last: str) -> list[tuple[str, str, Any]]:
    """The ordersChanged events of the watched orders up to `last` cancelled: (order, status, previous status)."""
    seen: list[tuple[str, str, Any]] = []
    while not seen or seen[-1][:2] != (last, "CANCELLED"):
        message = await client.next("all", within=WITHIN)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        change = message["payload"]["data"]["ordersChanged"]
        if change["order"]["orderId"] in watched:
            seen.append((change["order"]["orderId"], change["order"]["status"], change["previousStatus"]))
    return [event for event in seen if event[2] is not None]  # a creation a moment before the subscription


async def until_cancelled(client: LiveClient, operation: str) -> None:
    """The orderChanged subscription's next event is the cancel (its creation may come first: written a moment
    before the subscription)."""
    found: list[str] = []
    while found[-1:] != ["CANCELLED"]:
        message = await client.next(operation, within=WITHIN)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        found.append(message["payload"]["data"]["orderChanged"]["status"])
    assert found in (["CANCELLED"], ["PENDING", "CANCELLED"]), found


@pytest.fixture
def migrating(endpoint: str) -> Iterator[tuple[Settings, list[str]]]:
    """Fresh tables in the reads phase, Redis, one relay and two instances following the phase every POLL s."""
    settings = fresh_settings(endpoint, migration_poll_seconds=POLL)
    prepare(settings, "reads", streams=True)
    redis = RedisServer()
    redis.start()
    try:
        with processes() as started:
            env = bus_env(settings, redis.url, endpoint, MIGRATION_POLL_SECONDS=str(POLL), LIVE_LEASE_SECONDS="2")
            started.append(relay(env, wait=False))
            urls = []
            for _ in range(2):
                process, url = instance(env, wait=False)
                started.append(process)
                urls.append(url)
            for process in started:
                process.ready()
            until(lambda: single_table_leased(settings), WITHIN, "the relay did not lease the single table's stream")
            yield settings, urls
    finally:
        redis.stop()


def test_bus_subscribers_follow_cutover_and_rollback_each_change_once(migrating: tuple[Settings, list[str]]) -> None:
    settings, urls = migrating
    customer = items(settings, "Customers")[0]["CustomerId"]
    product = max(items(settings, "Products"), key=lambda product: product["Stock"])["ProductId"]

    async def run() -> None:
        first = await place(urls[0], customer, product)  # in the reads phase: both streams carry them
        second = await place(urls[1], customer, product)
        clients = []
        for url in urls:
            client = await LiveClient.connect(url, admin_headers()["Authorization"])
            before = await active_subscriptions(url)
            await client.subscribe("all", ORDERS_CHANGED)
            await client.subscribe("first", ORDER_CHANGED, {"id": first["orderId"]})
            await client.subscribe("second", ORDER_CHANGED, {"id": second["orderId"]})
            await until_subscribed(url, before + 3, within=WITHIN)
            clients.append(client)
        async with open_dynamo(settings) as dynamo:
            await move_to(dynamo, "cutover")
            for url in urls:
                await until_writing(settings, url, customer, product, "cutover")
            await graphql(urls[0], CANCEL, {"o": first["orderId"], "v": first["version"]})
            for client in clients:
                await until_cancelled(client, "first")
            old_orders = await asyncio.to_thread(items, settings, "Orders")
            cancelled = {order["OrderId"] for order in old_orders if order.get("Status") == "CANCELLED"}
            assert first["orderId"] not in cancelled, "the cancel at cutover reached the old table's stream"
            await rollback(dynamo, Layout(), follow_seconds=3 * POLL)  # copies the cancel back into the old table
        for url in urls:
            await until_writing(settings, url, customer, product, "design")
        await graphql(urls[1], CANCEL, {"o": second["orderId"], "v": second["version"]})
        watched = {first["orderId"], second["orderId"]}
        for client in clients:
            assert await changes(client, watched, second["orderId"]) == [
                (first["orderId"], "CANCELLED", "PENDING"),
                (second["orderId"], "CANCELLED", "PENDING"),
            ]
            await until_cancelled(client, "second")
            assert client.messages["first"].empty(), "a change of the first order came twice"
            await client.close()
        # Out of reads and cutover the relay stops reading the single table: its leases are left to expire (a later
        # overlap has leases of its own, named by its phase version).
        deadline = time.monotonic() + WITHIN
        while await asyncio.to_thread(single_table_leased, settings):
            assert time.monotonic() < deadline, "the relay still reads the single table's stream"
            await asyncio.sleep(POLL)

    asyncio.run(run())
