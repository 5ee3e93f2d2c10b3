"""`graphql-api tables verify` against real tables on both backends: no drift, then deliberate drift."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops.table_admin import create_tables
from graphql_api.ops.table_verify import (
    GsiChange,
    describe_time_to_live,
    plan_gsi_changes,
    verify,
)
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.table_status import describe_table
from graphql_api.tables import Table
from tests.support import fresh_settings, run_cli, run_with_dynamo

pytestmark = pytest.mark.time_to_live  # verify compares the declared time to live with the tables'


async def _settled(dynamo: Dynamo) -> None:
    """Wait until every existing table and GSI is ACTIVE (DynamoDB Local takes a moment; moto none).

    Generously: DynamoDB Local's status changes wait behind its time-to-live sweeps, which grow with the tables
    that declare a TTL (every prefix's CartItems): with 40 prefixes, a GSI deletion took 55 s instead of 0.5 s.
    """
    async with asyncio.timeout(300):
        await _wait_until_all_active(dynamo)


async def _wait_until_all_active(dynamo: Dynamo) -> None:
    while True:
        described = [await describe_table(dynamo, table) for table in ALL_TABLES]
        statuses = [
            status
            for live in described
            if live is not None
            for status in [live["TableStatus"], *(i["IndexStatus"] for i in live.get("GlobalSecondaryIndexes", []))]
        ]
        if all(status == "ACTIVE" for status in statuses):
            return
        await asyncio.sleep(0.1)


def _key_schema(*keys: tuple[str, str]) -> list[dict[str, str]]:
    return [{"AttributeName": name, "KeyType": role} for name, role in keys]


def _definitions(*names: str) -> list[dict[str, str]]:
    return [{"AttributeName": name, "AttributeType": "S"} for name in names]


async def _drift_every_way(dynamo: Dynamo) -> None:
    """Tables that differ from the declarations in every way `verify` reports, except Products."""
    prefix = dynamo.table_prefix
    await create_tables(dynamo)
    # Orders: StatusIndex deleted. Both backends accept a GSI Delete in UpdateTable.
    await dynamo.call(
        "update_table",
        TableName=f"{prefix}Orders",
        GlobalSecondaryIndexUpdates=[{"Delete": {"IndexName": "StatusIndex"}}],
    )
    await dynamo.call("delete_table", TableName=f"{prefix}OrderItems")
    # CustomerEmails: a range key that the declaration does not have.
    await dynamo.call("delete_table", TableName=f"{prefix}CustomerEmails")
    await dynamo.call(
        "create_table",
        TableName=f"{prefix}CustomerEmails",
        KeySchema=_key_schema(("Email", "HASH"), ("CustomerId", "RANGE")),
        AttributeDefinitions=_definitions("Email", "CustomerId"),
        BillingMode="PAY_PER_REQUEST",
    )
    # Customers: EmailIndex with a range key and KEYS_ONLY, and an undeclared NameIndex.
    await dynamo.call("delete_table", TableName=f"{prefix}Customers")
    await dynamo.call(
        "create_table",
        TableName=f"{prefix}Customers",
        KeySchema=_key_schema(("CustomerId", "HASH")),
        AttributeDefinitions=_definitions("CustomerId", "Email", "Name"),
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},  # as declared
        GlobalSecondaryIndexes=[
            {
                "IndexName": "EmailIndex",
                "KeySchema": _key_schema(("Email", "HASH"), ("Name", "RANGE")),
                "Projection": {"ProjectionType": "KEYS_ONLY"},
            },
            {
                "IndexName": "NameIndex",
                "KeySchema": _key_schema(("Name", "HASH")),
                "Projection": {"ProjectionType": "ALL"},
            },
        ],
    )
    # DynamoDB Local, like DynamoDB, deletes a GSI in the background (DELETING for a moment).
    await _settled(dynamo)


async def _apply_one_change_at_a_time(dynamo: Dynamo, table: Table, steps: tuple[GsiChange, ...]) -> None:
    """What an operator does with the printed plan: one UpdateTable per step, waiting in between."""
    for step in steps:
        if step.action == "delete":
            update: dict[str, Any] = {"Delete": {"IndexName": step.index}}
        else:
            params = table.create_table_params(dynamo.table_prefix)
            (create,) = [index for index in params["GlobalSecondaryIndexes"] if index["IndexName"] == step.index]
            update = {"Create": create}
        await dynamo.call(
            "update_table",
            TableName=table.physical_name(dynamo.table_prefix),
            # moto replaces the table's AttributeDefinitions with these: pass all of them.
            AttributeDefinitions=table.attribute_definitions(),
            GlobalSecondaryIndexUpdates=[update],
        )
        await _settled(dynamo)


def test_tables_created_from_the_declarations_have_no_drift(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    prefix = settings.table_prefix
    run_with_dynamo(settings, create_tables)

    assert run_with_dynamo(settings, verify) == []
    result = run_cli(settings, "tables", "verify", timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.splitlines() == [
        f"No drift: all {len(ALL_TABLES)} tables match the declarations (prefix '{prefix}', {endpoint})."
    ]


def test_verify_names_every_difference_and_the_gsi_order_that_works(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    p = settings.table_prefix
    run_with_dynamo(settings, _drift_every_way)

    result = run_cli(settings, "tables", "verify", timeout=120)
    assert result.returncode == 1, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert lines[:6] == [
        f"{p}Customers: GSI EmailIndex keys are Email (S) HASH, Name (S) RANGE; declared Email (S) HASH",
        f"{p}Customers: GSI EmailIndex projection is KEYS_ONLY; declared ALL",
        f"{p}Customers: extra GSI NameIndex (Name (S) HASH; projection ALL), not declared",
        f"{p}CustomerEmails: key schema is Email (S) HASH, CustomerId (S) RANGE; declared Email (S) HASH "
        "(keys cannot change in place: the table must be replaced)",
        f"{p}Orders: missing GSI StatusIndex (Status (S) HASH, OrderDate (S) RANGE; projection ALL)",
        f"{p}OrderItems: table is missing",
    ]
    assert lines[6:11] == [
        "",
        f"{p}Customers needs 3 GSI changes; DynamoDB takes one GSI creation or deletion per update: apply in 3 steps:",
        "  1) delete EmailIndex (wait until it is gone)",
        "  2) delete NameIndex (wait until it is gone)",
        "  3) create EmailIndex (wait until it is ACTIVE)",
    ]
    assert lines[11].startswith("  Terraform: the AWS provider runs these steps in this order")
    assert lines[12].startswith("  On a large table")
    assert lines[13:] == ["", f"Drift: 6 differences in 4 of {len(ALL_TABLES)} tables (prefix '{p}', {endpoint})."]


def test_following_the_printed_order_clears_the_gsi_drift(endpoint: str) -> None:
    settings = fresh_settings(endpoint)

    async def drift_then_follow_the_plan(dynamo: Dynamo) -> list[str]:
        await _drift_every_way(dynamo)
        (plan,) = plan_gsi_changes(await verify(dynamo))
        assert plan.table == "Customers"
        await _apply_one_change_at_a_time(dynamo, CUSTOMERS.table, plan.steps)
        return [drift.line() for drift in await verify(dynamo)]

    remaining = run_with_dynamo(settings, drift_then_follow_the_plan)
    assert remaining == [
        "CustomerEmails: key schema is Email (S) HASH, CustomerId (S) RANGE; declared Email (S) HASH "
        "(keys cannot change in place: the table must be replaced)",
        "Orders: missing GSI StatusIndex (Status (S) HASH, OrderDate (S) RANGE; projection ALL)",
        "OrderItems: table is missing",
    ]


def _with_time_to_live(name: str, attribute: str | None) -> Table:
    """A declared table like Customers, under another name, with the given time-to-live attribute."""
    return dataclasses.replace(CUSTOMERS.table, name=name, indexes=(), ttl_attribute=attribute)


async def _time_to_live_round(dynamo: Dynamo) -> list[list[str]]:
    """Create two tables (with and without a declared TTL), verify, then make each differ and verify again."""
    expiring, lasting = _with_time_to_live("Expiring", "ExpiresAt"), _with_time_to_live("Lasting", None)
    tables = [expiring, lasting]
    await create_tables(dynamo, tables=tables)
    rounds = [[drift.message for drift in await verify(dynamo, tables)]]
    described = await describe_time_to_live(dynamo, expiring)
    rounds.append([f"{described.get('TimeToLiveStatus')} {described.get('AttributeName')}"])
    await dynamo.call(
        "update_time_to_live",
        TableName=expiring.physical_name(dynamo.table_prefix),
        TimeToLiveSpecification={"Enabled": False, "AttributeName": "ExpiresAt"},
    )
    await dynamo.call(
        "update_time_to_live",
        TableName=lasting.physical_name(dynamo.table_prefix),
        TimeToLiveSpecification={"Enabled": True, "AttributeName": "GoneAt"},
    )
    rounds.append([f"{drift.table}: {drift.message}" for drift in await verify(dynamo, tables)])
    return rounds


def test_a_declared_time_to_live_is_created_and_verified(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    first, described, drifted = run_with_dynamo(settings, _time_to_live_round)
    assert first == []
    assert described == ["ENABLED ExpiresAt"]
    assert drifted == [
        "Expiring: time to live is off; declared ExpiresAt (set it with UpdateTimeToLive or Terraform)",
        "Lasting: time to live is GoneAt; declared off (set it with UpdateTimeToLive or Terraform)",
    ]
