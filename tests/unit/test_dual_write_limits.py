"""Dual-write's twins against DynamoDB's 100 actions per transaction (graphql_api.migration.dual_write): while
the old tables decide, the originals are all sent and as many twins as fit (the rest come from replication); at
cutover the twins replace the originals, one for one."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import MAX_ACTIONS, Action
from graphql_api.migration.dual_write import DualWrite
from graphql_api.migration.watch import MigrationSnapshot, MigrationWatch
from graphql_api.ops.single_table import Layout
from graphql_api.repositories._writes import put
from graphql_api.repositories.products import PRODUCTS, Product


class _Followed(MigrationWatch):
    """A watch that has read `phase` just now (no DynamoDB: these twins need no reads)."""

    def __init__(self, phase: str) -> None:
        super().__init__(Dynamo(_no_calls, ""), poll_seconds=5.0)
        self.state = MigrationSnapshot(phase=phase, read_at=float("inf"))


async def _no_calls(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    raise AssertionError(f"no DynamoDB call expected, got {operation}")


def _products(count: int) -> list[Action]:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    return [
        put(
            PRODUCTS,
            Product(
                product_id=f"prd_{number}",
                name=f"P{number}",
                category="c",
                price=Decimal("1.00"),
                currency="EUR",
                stock=1,
                created_at=at,
                updated_at=at,
                version=1,
            ),
        )
        for number in range(count)
    ]


def _sent(phase: str, actions: list[Action]) -> list[Action]:
    watch = _Followed(phase)
    mirror = DualWrite(watch._dynamo, Layout(), watch)
    return list(asyncio.run(mirror(actions)))


def test_while_the_old_tables_decide_as_many_twins_as_fit_go_with_the_originals() -> None:
    actions = _products(60)
    sent = _sent("dual-write", actions)
    assert len(sent) == MAX_ACTIONS
    assert sent[:60] == actions
    twins = sent[60:]
    assert [twin.twin_of for twin in twins] == actions[:40]
    assert all(twin.table.name == "App" and "ConditionExpression" not in twin.params for twin in twins)


def test_a_small_transaction_gets_every_twin() -> None:
    actions = _products(3)
    assert [action.twin_of for action in _sent("reads", actions)] == [None, None, None, *actions]


def test_at_cutover_the_twins_replace_the_originals() -> None:
    actions = _products(60)
    sent = _sent("cutover", actions)
    assert [twin.twin_of for twin in sent] == actions
    assert {twin.table.name for twin in sent} == {"App"}


def test_in_design_the_actions_are_sent_as_they_are() -> None:
    actions = _products(2)
    assert _sent("design", actions) == actions
