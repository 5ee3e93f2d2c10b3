"""`graphql-api migrate backfill|verify|status` on both backends, on a small data set of their own.

The backfill stops for real partway (`--max-pages`: the process exits with segments half copied) and a second
run finishes from the checkpoints in DynamoDB; an item dual-write already wrote at a newer version is kept;
verify names a missing item and a differing attribute; the phase moves only forward, one step at a time.
"""

from __future__ import annotations

import asyncio
import json
import re
import signal
import subprocess
import time
from typing import Any

import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.migration.phase import MIGRATION, PhaseConflict, advance, current_phase
from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_backfill import backfill
from graphql_api.ops.single_table_verify import verify
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.settings import Settings
from tests.support import cli_command, cli_environment, fresh_settings, plain_client, run_cli, run_with_dynamo

ZERO_VIOLATIONS = ["validate (faux-SQL): 0 violations", "validate (single table): 0 violations"]


def _small_data(settings: Settings) -> int:
    """A small data set in the faux-SQL tables (and the single table, empty); returns how many items it holds."""

    async def prepare(dynamo: Dynamo) -> int:
        await create_tables(dynamo)
        await create_tables(dynamo, tables=(Layout().table,))
        written = await write_dataset(
            dynamo, demo_dataset(seed=5, customer_count=3, product_count=6, order_count=8, review_count=4)
        )
        return sum(written.values())

    total: int = run_with_dynamo(settings, prepare)
    return total


def _single_items(settings: Settings) -> list[dict[str, Any]]:
    async def scan(dynamo: Dynamo) -> list[dict[str, Any]]:
        name = Layout().table.physical_name(dynamo.table_prefix)
        response = await dynamo.call("scan", TableName=name, ConsistentRead=True)
        return [deserialize_item(item) for item in response["Items"]]

    found: list[dict[str, Any]] = run_with_dynamo(settings, scan)
    return found


def _counts(line: str) -> dict[str, int]:
    """`... scanned 3, copied 2, kept newer 1, orphaned 0` -> {"scanned": 3, ...}."""
    return {name: int(number) for name, number in re.findall(r"(scanned|copied|kept newer|orphaned) (\d+)", line)}


def test_backfill_stops_partway_then_resumes_to_exact_parity(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    total = _small_data(settings)

    first = run_cli(settings, "migrate", "backfill", "--segments", "2", "--page-size", "3", "--max-pages", "3")
    assert first.returncode == 0, first.stdout + first.stderr
    assert first.stdout.splitlines()[-1] == "stopped after --max-pages 3; run the same command again to continue"
    partial = len(_single_items(settings))
    assert 0 < partial < total

    second = run_cli(settings, "migrate", "backfill", "--segments", "2", "--page-size", "3")
    assert second.returncode == 0, second.stdout + second.stderr
    summary, done = second.stdout.splitlines()[-2:]
    assert done.startswith("complete: every segment of every table copied")
    counts = _counts(summary)
    # Resumed, not restarted: the second run scans what the first did not (a page the first stopped on, at most).
    assert counts["scanned"] < total
    assert counts["copied"] == total - partial
    assert len(_single_items(settings)) == total

    verified = run_cli(settings, "migrate", "verify")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert verified.stdout.splitlines()[-3:] == ["parity: exact", *ZERO_VIOLATIONS]
    assert "ORDER: 8 faux-SQL, 8 single table" in verified.stdout.splitlines()


@pytest.mark.one_backend
def test_backfill_killed_mid_run_resumes_to_exact_parity(endpoint: str) -> None:
    """kill -9 once some pages are checkpointed: the rerun continues from the checkpoints, and parity is exact."""
    settings = fresh_settings(endpoint)
    total = _small_data(settings)
    # The service's own keys: DynamoDB Local (without -sharedDb) keeps one database per access key.
    reader = plain_client(endpoint, settings.aws_region)
    migration = MIGRATION.table.physical_name(settings.table_prefix)
    command = cli_command("migrate", "backfill", "--segments", "1", "--page-size", "1")
    env = cli_environment(settings)
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 120
        checkpoints: list[dict[str, Any]] = []
        while not any(item.get("Copied", {}).get("N", "0") != "0" for item in checkpoints):
            assert process.poll() is None, "the backfill ended before it could be killed"
            assert time.monotonic() < deadline, "no checkpoint within 120 s"
            try:
                checkpoints = reader.scan(TableName=migration, ConsistentRead=True)["Items"]
            except reader.exceptions.ResourceNotFoundException:
                checkpoints = []  # the command creates the table first
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    partial = len(_single_items(settings))
    assert 0 < partial < total

    rerun = run_cli(settings, "migrate", "backfill", "--segments", "1", "--page-size", "1")
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert _counts(rerun.stdout.splitlines()[-2])["scanned"] < total  # resumed, not restarted
    assert len(_single_items(settings)) == total
    assert run_cli(settings, "migrate", "verify").stdout.splitlines()[-3:] == ["parity: exact", *ZERO_VIOLATIONS]


def test_backfill_never_overwrites_a_newer_version(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    _small_data(settings)
    layout = Layout()

    async def newer_then_backfill(dynamo: Dynamo) -> tuple[dict[str, Any], Any]:
        scanned = await dynamo.call("scan", TableName=ORDERS.table.physical_name(dynamo.table_prefix), Limit=1)
        order = deserialize_item(scanned["Items"][0])
        # As dual-write would have it: the order changed since, at the next version.
        newer = layout.to_single(ORDERS, {**order, "Version": order["Version"] + 1, "Currency": "XXX"})
        await dynamo.call(
            "put_item", TableName=layout.table.physical_name(dynamo.table_prefix), Item=serialize_item(newer)
        )
        result = await backfill(dynamo, layout, segments=2)
        return newer, result

    newer, result = run_with_dynamo(settings, newer_then_backfill)
    assert result.complete
    assert result.counts["kept"] == 1
    kept = next(item for item in _single_items(settings) if (item["PK"], item["SK"]) == (newer["PK"], newer["SK"]))
    assert kept == newer


def test_verify_names_a_missing_item_and_a_differing_attribute(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    _small_data(settings)
    layout = Layout()

    async def break_then_verify(dynamo: Dynamo) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        await backfill(dynamo, layout)
        assert (await verify(dynamo, layout)).same
        name = layout.table.physical_name(dynamo.table_prefix)
        items = [deserialize_item(item) for item in (await dynamo.call("scan", TableName=name))["Items"]]
        order = next(item for item in items if item["Type"] == "ORDER")
        product = next(item for item in items if item["Type"] == "PRODUCT")
        await dynamo.call("delete_item", TableName=name, Key=serialize_item({"PK": order["PK"], "SK": order["SK"]}))
        await dynamo.call(
            "update_item",
            TableName=name,
            Key=serialize_item({"PK": product["PK"], "SK": product["SK"]}),
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": PRODUCTS.attribute("name")},
            ExpressionAttributeValues=serialize_item({":n": "Renamed"}),
        )
        return order, product, (await verify(dynamo, layout)).lines()

    order, product, lines = run_with_dynamo(settings, break_then_verify)
    assert f"missing from the single table: PK={order['PK']} SK={order['SK']}" in lines
    assert (
        f"differs: PK={product['PK']} SK={product['SK']} Name: {product['Name']!r} (faux-SQL) != 'Renamed' (single table)"
        in lines
    )
    assert "ORDER: 8 faux-SQL, 7 single table" in lines
    assert lines[-1] == "parity: DIFFERENT"


@pytest.mark.one_backend
def test_the_phase_moves_one_step_at_a_time_and_status_prints_it(endpoint: str) -> None:
    settings = fresh_settings(endpoint)

    async def moves(dynamo: Dynamo) -> list[str]:
        await create_tables(dynamo, tables=(MIGRATION.table,))
        assert (await current_phase(dynamo)).name == "design"
        with pytest.raises(PhaseConflict):
            await advance(dynamo, "backfill")  # skips dual-write
        # Two operators moving it at once: exactly one wins.
        outcomes = await asyncio.gather(*(advance(dynamo, "dual-write") for _ in range(2)), return_exceptions=True)
        assert sorted(type(outcome).__name__ for outcome in outcomes) == ["Phase", "PhaseConflict"]
        moved = await advance(dynamo, "backfill")
        return [moved.name, str(moved.version)]

    assert run_with_dynamo(settings, moves) == ["backfill", "2"]
    status = run_cli(settings, "migrate", "status", "--json")
    assert status.returncode == 0, status.stderr
    answer = json.loads(status.stdout)
    assert (answer["phase"], answer["version"]) == ("backfill", 2)
