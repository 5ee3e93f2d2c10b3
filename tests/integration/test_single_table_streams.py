"""The streams replication needs (graphql_api.ops.single_table_streams), on both backends: `migrate start` refuses
while an old table has none and leaves the tables and the phase as they were (Terraform turns them on with
single_table_enabled; docs/decisions/0009-migration-streams.md); `--enable-streams` turns them on itself (tables no
Terraform manages); and `tables verify` then reports those streams as the migration's, not as drift."""

from __future__ import annotations

from graphql_api.dynamo.client import Dynamo
from graphql_api.migration.phase import current_phase
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_streams import missing_streams, tables_without_streams
from graphql_api.ops.table_admin import create_tables
from graphql_api.ops.table_verify import DriftKind, Inspection, inspect
from graphql_api.settings import Settings
from tests.support import fresh_settings, run_cli, run_with_dynamo


def _missing(settings: Settings) -> list[str]:
    result: list[str] = run_with_dynamo(settings, lambda dynamo: missing_streams(dynamo, Layout()))
    return result


def _phase(settings: Settings) -> str:
    async def name(dynamo: Dynamo) -> str:
        return (await current_phase(dynamo)).name

    result: str = run_with_dynamo(settings, name)
    return result


def test_start_refuses_without_the_streams_then_turns_them_on_when_told(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    run_with_dynamo(settings, create_tables)
    undeclared = sorted(table.name for table in tables_without_streams(Layout()))
    before = _missing(settings)
    assert sorted(before) == undeclared  # the tables as `tables create` makes them: as declared

    refused = run_cli(settings, "migrate", "start")

    assert refused.returncode == 1, refused.stdout + refused.stderr
    assert f"none on {', '.join(before)}." in refused.stdout
    assert "single_table_enabled = true" in refused.stdout
    assert "--enable-streams" in refused.stdout
    assert sorted(_missing(settings)) == undeclared  # nothing turned on
    assert _phase(settings) == "design"

    started = run_cli(settings, "migrate", "start", "--enable-streams")

    assert started.returncode == 0, started.stdout + started.stderr
    assert "phase: dual-write" in started.stdout
    assert _missing(settings) == []
    assert _phase(settings) == "dual-write"

    found: Inspection = run_with_dynamo(settings, inspect)
    assert [drift.line() for drift in found.drifts if drift.kind is DriftKind.STREAM] == []
    assert sorted(note.split(":")[0] for note in found.notes) == undeclared
    assert all("is the single-table migration's" in note for note in found.notes)
