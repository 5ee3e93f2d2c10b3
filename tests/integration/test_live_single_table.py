"""Subscriptions and the audit trail across the single-table migration's cutover and rollback (both backends).

At cutover the API writes the single table only: the live updates then follow its stream, each record handed on as
its old table's (graphql_api.live.single_table_feed). A subscription opened in the reads phase keeps receiving its
changes at cutover and after a rollback, each change once (the rollback's copy back into the old tables is not a
change to show again), and the audit trail records the changes made at cutover.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx2
from starlette.applications import Starlette

from graphql_api.dynamo.client import open_dynamo
from graphql_api.live import audit
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_steps import rollback
from graphql_api.services import services_of
from graphql_api.settings import Settings
from tests.issuer import admin_headers
from tests.live_client import LiveClient, active_subscriptions, until_subscribed
from tests.support import fresh_settings
from tests.support.served import served
from tests.support.single_table import CANCEL, PLACE, Replicating, items, move_to, prepare

ORDERS_CHANGED = "subscription { ordersChanged { order { orderId status } previousStatus } }"
ORDER_CHANGED = "subscription($id: ID!) { orderChanged(orderId: $id) { orderId status version } }"
WITHIN = 30.0
"""An expected event or phase arrives as soon as it can; the bound is for a busy shared machine."""
POLL = 0.5


async def graphql(url: str, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    async with httpx2.AsyncClient(timeout=60) as client:
        response = await client.post(url, json={"query": query, "variables": variables}, headers=admin_headers())
    body: dict[str, Any] = response.json()
    assert "errors" not in body, body
    data: dict[str, Any] = body["data"]
    return data


async def place(url: str, customer_id: str, product_id: str) -> dict[str, Any]:
    lines = [{"productId": product_id, "quantity": 1}]
    order: dict[str, Any] = (await graphql(url, PLACE, {"i": {"customerId": customer_id, "items": lines}}))[
        "placeOrder"
    ]
    return order


async def cancel(url: str, order: dict[str, Any]) -> None:
    await graphql(url, CANCEL, {"o": order["orderId"], "v": order["version"]})


async def followed(app: Starlette, phase: str) -> None:
    """Wait until the app's instance follows `phase` (its watcher polls every POLL seconds)."""
    deadline = time.monotonic() + WITHIN
    while (watch := services_of(app).migration) is None or watch.state.phase != phase:
        assert time.monotonic() < deadline, f"the instance did not follow {phase} within {WITHIN} s"
        await asyncio.sleep(0.05)


async def events(client: LiveClient, operation: str, until_order: str, status: str) -> list[tuple[str, str, Any]]:
    """Every ordersChanged event up to the one of `until_order` entering `status`: (order, status, previous)."""
    seen: list[tuple[str, str, Any]] = []
    while True:
        message = await client.next(operation, within=WITHIN)
        assert message["type"] == "next", message
        assert "errors" not in message["payload"], message
        change = message["payload"]["data"]["ordersChanged"]
        seen.append((change["order"]["orderId"], change["order"]["status"], change["previousStatus"]))
        if seen[-1][:2] == (until_order, status):
            return seen


async def audited_kinds(settings: Settings, order_id: str) -> list[str]:
    """The kinds of the order's entries the audit trail wrote (in its table, oldest first)."""
    entries = [item for item in await asyncio.to_thread(items, settings, "AuditLog") if item["EntityId"] == order_id]
    return [entry["Kind"] for entry in sorted(entries, key=lambda entry: entry["ChangeId"])]


def test_subscriptions_and_the_audit_trail_follow_cutover_and_rollback(endpoint: str) -> None:
    settings = fresh_settings(endpoint, migration_poll_seconds=POLL, audit_trail=True)
    prepare(settings, "reads", streams=True)  # the single table's stream is read beside the old tables' from here on
    customer = items(settings, "Customers")[0]["CustomerId"]
    product = max(items(settings, "Products"), key=lambda product: product["Stock"])["ProductId"]

    async def run(url: str, app: Starlette) -> None:
        # The audit trail's readers start at the streams' end (LATEST): an order placed before they hold their
        # iterators would have no INSERT entry (seen once in a full run).
        await until_audit_reads(app)
        before = await place(url, customer, product)  # in the reads phase, before anyone subscribes
        client = await LiveClient.connect(url, admin_headers()["Authorization"])
        await client.subscribe("all", ORDERS_CHANGED)
        await client.subscribe("one", ORDER_CHANGED, {"id": before["orderId"]})
        await until_subscribed(url, await active_subscriptions(url) + 2)
        async with open_dynamo(settings) as dynamo:
            await move_to(dynamo, "cutover")
            await followed(app, "cutover")
            await cancel(url, before)
            at_cutover = await place(url, customer, product)
            one = await client.next("one", within=WITHIN)
            if one["payload"]["data"]["orderChanged"]["status"] == "PENDING":  # its creation, a moment before
                one = await client.next("one", within=WITHIN)
            assert one["payload"]["data"]["orderChanged"]["status"] == "CANCELLED", one
            # Written to the single table alone: no old table's stream carried these changes.
            old_orders = {order["OrderId"]: order for order in await asyncio.to_thread(items, settings, "Orders")}
            assert at_cutover["orderId"] not in old_orders
            assert old_orders[before["orderId"]]["Status"] == "PENDING"
            await until_audited(before["orderId"], ["INSERT", "MODIFY"])  # the cancel, made at cutover
            await until_audited(at_cutover["orderId"], ["INSERT"])
            # Back to the old tables: what only the single table got is copied back into them, then design.
            await rollback(dynamo, Layout(), follow_seconds=3 * POLL)
            await followed(app, "design")
        await cancel(url, at_cutover)  # copied back into the old table by the rollback
        seen = await events(client, "all", at_cutover["orderId"], "CANCELLED")
        await client.close()
        if seen[0] == (before["orderId"], "PENDING", None):  # written a moment before the subscription
            seen = seen[1:]
        assert seen == [
            (before["orderId"], "CANCELLED", "PENDING"),
            (at_cutover["orderId"], "PENDING", None),
            (at_cutover["orderId"], "CANCELLED", "PENDING"),
        ]
        # The copy back into the old tables is no change to record again.
        assert await audited_kinds(settings, before["orderId"]) == ["INSERT", "MODIFY"]
        await until_audited(at_cutover["orderId"], ["INSERT", "MODIFY"])

    async def until_audit_reads(app: Starlette) -> None:
        live = services_of(app).live
        assert live is not None
        feeds = [live.hub.feed(entity) for entity in audit.audited_entities()]
        deadline = time.monotonic() + WITHIN
        while not all(feed.ready.is_set() for feed in feeds):
            assert time.monotonic() < deadline, "the audited streams were not being read in time"
            await asyncio.sleep(0.05)

    async def until_audited(order_id: str, kinds: list[str]) -> None:
        deadline = time.monotonic() + WITHIN
        while (found := await audited_kinds(settings, order_id)) != kinds:
            assert time.monotonic() < deadline, found
            await asyncio.sleep(0.1)

    # `migrate replicate` runs from start to finalize: among others it carries the audit trail's entries, which the
    # readers write into the old AuditLog table, to the single table (where a rollback's copy back expects them).
    with Replicating(settings), served(settings) as (url, app):
        asyncio.run(run(url, app))
