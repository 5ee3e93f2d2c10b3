"""`graphql-api backfill orders-status` on both backends: legacy orders join StatusIndex, resumably and once."""

from __future__ import annotations

import asyncio
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.clock import format_timestamp
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.ops.backfill import BACKFILLS, Backfill, BackfillError, run_backfill
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.orders import ORDERS
from graphql_api.settings import Settings
from tests.issuer import admin_headers
from tests.support import fresh_settings, plain_client, run_cli, run_with_dynamo

LEGACY_ORDERS = 30
ORDERS_BY_STATUS = "{ ordersByStatus(status: PENDING, first: 100) { edges { node { orderId status } } } }"


def legacy_orders(count: int = LEGACY_ORDERS) -> list[Item]:
    """Orders as written before StatusIndex existed: complete, except that they have no Status."""
    placed = datetime(2024, 1, 1, tzinfo=UTC)
    orders = []
    for number in range(count):
        at = format_timestamp(placed + timedelta(hours=number))
        orders.append(
            {
                # Fixed ids: each backend then splits them into the same segments on every run.
                "OrderId": f"ord_{number:032x}",
                "CustomerId": f"cus_{number % 3:032x}",
                "OrderDate": at,
                "Total": Decimal("12.50"),
                "Currency": "EUR",
                "ItemCount": 1,
                "CreatedAt": at,
                "UpdatedAt": at,
                "Version": 1,
            }
        )
    return orders


def _write_legacy_orders(settings: Settings, orders: list[Item]) -> None:
    async def prepare(dynamo: Dynamo) -> None:
        await create_tables(dynamo)
        await put_items(dynamo, ORDERS.table, orders)

    run_with_dynamo(settings, prepare)


def _pending_order_ids(settings: Settings) -> set[str]:
    """What the fulfilment dashboard sees: AP7, ordersByStatus, a Query on StatusIndex."""
    with TestClient(create_app(settings)) as client:
        body = client.post("/graphql", json={"query": ORDERS_BY_STATUS}, headers=admin_headers()).json()
    assert "errors" not in body, body
    edges = body["data"]["ordersByStatus"]["edges"]
    assert all(edge["node"]["status"] == "PENDING" for edge in edges)
    return {edge["node"]["orderId"] for edge in edges}


def _counts(line: str) -> dict[str, int]:
    return {name.replace(" ", "_"): int(number) for name, number in re.findall(r"([a-z][a-z ]*?) (\d+)", line)}


def test_backfill_puts_legacy_orders_into_status_index_resumably_and_once(endpoint: str, tmp_path: Path) -> None:
    settings = fresh_settings(endpoint)
    prefix = settings.table_prefix
    orders = legacy_orders()
    _write_legacy_orders(settings, orders)
    assert _pending_order_ids(settings) == set(), "a sparse GSI holds only items that have its key attributes"

    checkpoint = tmp_path / "orders-status.json"
    command = ("backfill", "orders-status", "--checkpoint", str(checkpoint), "--page-size", "5")

    # Interrupted after one page: some orders are in the index, the checkpoint says where it stopped.
    first = run_cli(settings, *command, "--max-pages", "1", timeout=120)
    assert first.returncode == 0, first.stdout + first.stderr
    lines = first.stdout.splitlines()
    assert lines[0] == f"backfill orders-status: {prefix}Orders.Status (4 segments, pages of 5 items)"
    first_counts = _counts(lines[1].removeprefix("this run: "))
    assert 1 <= first_counts["updated"] == first_counts["scanned"] <= 5
    assert lines[2] == f"stopped after --max-pages 1; run the same command again to continue from {checkpoint}"
    saved = json.loads(checkpoint.read_text())
    assert saved["counts"]["updated"] == first_counts["updated"]
    assert sum(segment["start_key"] is not None or segment["done"] for segment in saved["segments"]) == 1
    assert len(_pending_order_ids(settings)) == first_counts["updated"]

    # Resumed from the checkpoint: every order scanned exactly once over both runs.
    second = run_cli(settings, *command, timeout=120)
    assert second.returncode == 0, second.stdout + second.stderr
    lines = second.stdout.splitlines()
    assert lines[1] == f"resumed from {checkpoint}"
    second_counts = _counts(lines[2].removeprefix("this run: "))
    assert second_counts["updated"] == LEGACY_ORDERS - first_counts["updated"]
    assert lines[3] == ("since the checkpoint was started: scanned 30, updated 30, already set 0, skipped 0, gone 0")
    assert (
        lines[4]
        == f"complete: every segment scanned to its end; the checkpoint {checkpoint} now says so (delete it to scan again)"
    )
    assert _pending_order_ids(settings) == {order["OrderId"] for order in orders}

    # A completed checkpoint does nothing more; a fresh full run finds every order already set.
    again = run_cli(settings, *command, timeout=120)
    assert again.stdout.splitlines()[2] == "this run: scanned 0, updated 0, already set 0, skipped 0, gone 0"
    fresh = run_cli(settings, "backfill", "orders-status", timeout=120)
    assert fresh.returncode == 0, fresh.stdout + fresh.stderr
    assert fresh.stdout.splitlines()[1:] == [
        "this run: scanned 30, updated 0, already set 30, skipped 0, gone 0",
        "complete: every segment scanned to its end",
    ]


def test_backfill_leaves_versions_and_other_attributes_alone(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    orders = legacy_orders(3)
    _write_legacy_orders(settings, orders)

    async def backfill_then_read(dynamo: Dynamo) -> list[dict[str, Any]]:
        result = await run_backfill(dynamo, BACKFILLS["orders-status"], segments=2, page_size=2)
        assert (result.counts.updated, result.complete, result.resumed) == (3, True, False)
        response = await dynamo.call("scan", TableName=ORDERS.table.physical_name(dynamo.table_prefix))
        return list(response["Items"])

    items = {item["OrderId"]["S"]: item for item in run_with_dynamo(settings, backfill_then_read)}
    for order in orders:
        item = items[order["OrderId"]]
        assert item["Status"] == {"S": "PENDING"}
        assert item["Version"] == {"N": "1"}
        assert item["UpdatedAt"] == {"S": order["UpdatedAt"]}


def test_backfill_never_overwrites_a_newer_write_nor_resurrects_a_deleted_item(endpoint: str) -> None:
    """Writers racing the backfill, between its Scan and its UpdateItem, win."""
    settings = fresh_settings(endpoint)
    paid, deleted, untouched = legacy_orders(3)
    _write_legacy_orders(settings, [paid, deleted, untouched])
    table_name = ORDERS.table.physical_name(settings.table_prefix)
    # The service's own keys: DynamoDB Local (without -sharedDb) keeps one database per access key.
    other_writer = plain_client(endpoint, settings.aws_region)

    def status_after_a_racing_writer(item: Item) -> str:
        key = {"OrderId": {"S": item["OrderId"]}}
        if item["OrderId"] == paid["OrderId"]:
            other_writer.update_item(
                TableName=table_name,
                Key=key,
                UpdateExpression="SET #s = :paid",
                ExpressionAttributeNames={"#s": "Status"},
                ExpressionAttributeValues={":paid": {"S": "PAID"}},
            )
        if item["OrderId"] == deleted["OrderId"]:
            other_writer.delete_item(TableName=table_name, Key=key)
        return "PENDING"

    racing = Backfill(
        "racing", ORDERS.table, "Status", "test: writers race the backfill", value_for=status_after_a_racing_writer
    )

    async def run(dynamo: Dynamo) -> Any:
        return await run_backfill(dynamo, racing, segments=1, concurrency=1)

    result = run_with_dynamo(settings, run)
    assert (result.counts.scanned, result.counts.updated, result.counts.already_set, result.counts.gone) == (3, 1, 1, 1)
    assert _pending_order_ids(settings) == {untouched["OrderId"]}
    after = {item["OrderId"]["S"]: item for item in other_writer.scan(TableName=table_name)["Items"]}
    assert set(after) == {paid["OrderId"], untouched["OrderId"]}
    assert after[paid["OrderId"]]["Status"] == {"S": "PAID"}


def test_a_backfill_function_may_skip_items(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    _write_legacy_orders(settings, legacy_orders(4))
    only_even = Backfill(
        "even",
        ORDERS.table,
        "Status",
        "test",
        value_for=lambda item: "PENDING" if int(item["OrderId"][-1], 16) % 2 == 0 else None,
    )

    async def run(dynamo: Dynamo) -> Any:
        return await run_backfill(dynamo, only_even)

    result = run_with_dynamo(settings, run)
    assert (result.counts.scanned, result.counts.updated, result.counts.skipped) == (4, 2, 2)


async def _never_called(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError(f"no DynamoDB call expected, got {operation}")


async def _refused(checkpoint: Path | None, **options: Any) -> None:
    await run_backfill(Dynamo(_never_called, "dev-"), BACKFILLS["orders-status"], checkpoint_path=checkpoint, **options)


def test_a_checkpoint_of_another_run_is_refused(tmp_path: Path) -> None:
    checkpoint = tmp_path / "checkpoint.json"
    checkpoint.write_text(
        json.dumps(
            {
                "backfill": "orders-status",
                "table": "dev-Orders",
                "total_segments": 4,
                "segments": [{"start_key": None, "done": False}] * 4,
                "counts": {"scanned": 0, "updated": 0, "already_set": 0, "skipped": 0, "gone": 0},
            }
        )
    )
    with pytest.raises(BackfillError, match="with 4 segments"):
        asyncio.run(_refused(checkpoint, segments=2))
    with pytest.raises(BackfillError, match="--max-pages needs --checkpoint"):
        asyncio.run(_refused(None, max_pages=1))


def test_the_cli_explains_a_refused_backfill() -> None:
    result = run_cli(
        fresh_settings("http://127.0.0.1:9", table_prefix="dev-"),
        "backfill",
        "orders-status",
        "--max-pages",
        "1",
        timeout=120,
    )
    assert result.returncode == 2
    assert "--max-pages needs --checkpoint" in result.stderr
