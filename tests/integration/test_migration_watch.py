"""Every instance follows the migration's phase (and read percentages) from DynamoDB, without a restart: the app
reads it at start, then polls every MIGRATION_POLL_SECONDS (graphql_api.migration.watch)."""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.migration.phase import MIGRATION, advance, reads_key
from graphql_api.migration.watch import MigrationSnapshot
from graphql_api.ops.table_admin import create_tables
from graphql_api.services import services_of
from tests.support import fresh_settings, run_with_dynamo


def _state(client: TestClient) -> MigrationSnapshot:
    watch = services_of(client.app).migration  # type: ignore[arg-type]
    assert watch is not None
    return watch.state


def _until_phase(client: TestClient, phase: str, within: float) -> float:
    started = time.monotonic()
    while _state(client).phase != phase:
        assert time.monotonic() - started < within, f"still {_state(client).phase} after {within} s, not {phase}"
        time.sleep(0.05)
    return time.monotonic() - started


def test_an_instance_follows_a_change_of_phase_within_10_seconds(endpoint: str) -> None:
    settings = fresh_settings(endpoint, migration_poll_seconds=2.0)
    run_with_dynamo(settings, create_tables)

    async def move(dynamo: Dynamo) -> None:
        await advance(dynamo, "dual-write")
        item = MIGRATION.to_item(MIGRATION.model(key=reads_key("AP3"), percent=25))
        await dynamo.call(
            "put_item", TableName=MIGRATION.table.physical_name(dynamo.table_prefix), Item=serialize_item(item)
        )

    with TestClient(create_app(settings)) as client:
        assert _state(client).phase == "design"
        assert not _state(client).dual_write
        run_with_dynamo(settings, move)
        took = _until_phase(client, "dual-write", within=10.0)
        state = _state(client)
        assert state.dual_write
        assert state.read_percent("AP3") == 25
        assert state.read_percent("AP4") == 0
        assert took < 10.0


def test_an_instance_starts_in_the_recorded_phase(endpoint: str) -> None:
    settings = fresh_settings(endpoint, migration_poll_seconds=10.0)
    run_with_dynamo(settings, create_tables)
    run_with_dynamo(settings, lambda dynamo: advance(dynamo, "dual-write"))
    with TestClient(create_app(settings)) as client:
        assert _state(client).phase == "dual-write"  # read at start, not after the first poll


def test_without_the_migration_table_the_phase_is_design(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    with TestClient(create_app(settings)) as client:
        assert _state(client).phase == "design"
