"""The streams the single-table migration needs: replication (`migrate replicate`) reads every old table the layout
holds, and a table that declares no stream of its own gets the migration's (STREAM_VIEW).

Terraform turns them on with `single_table_enabled` (infra_terraform/main.tf, from the `single_table_replication`
data that graphql_api.ops.single_table_terraform generates from here), `tables verify` reports such a stream as the
migration's rather than as drift, and `migrate start` refuses while one is missing unless told to turn them on
itself (`--enable-streams`, for tables no Terraform manages). docs/decisions/0009-migration-streams.md says why.
"""

from __future__ import annotations

from collections.abc import Mapping

from graphql_api.dynamo.client import Dynamo
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_replication import STREAM_VIEW
from graphql_api.table_status import describe_table
from graphql_api.tables import Table

__all__ = ["STREAM_VIEW", "is_migration_stream", "migration_streams", "missing_streams", "tables_without_streams"]


def tables_without_streams(layout: Layout) -> list[Table]:
    """The old tables replication reads that declare no stream: those the migration gives STREAM_VIEW."""
    tables = (placement.entity.table for placement in layout.placements.values())
    return sorted((table for table in tables if table.stream is None), key=lambda table: table.name)


def migration_streams(layout: Layout | None = None) -> dict[str, str]:
    """Each such table's name with the stream view the migration gives it."""
    return {table.name: STREAM_VIEW for table in tables_without_streams(layout or Layout())}


def is_migration_stream(table: Table, live_view: str | None, streams: Mapping[str, str]) -> bool:
    """Whether a live stream on a table that declares none is the migration's (its table and its view)."""
    return table.stream is None and live_view is not None and streams.get(table.name) == live_view


async def missing_streams(dynamo: Dynamo, layout: Layout) -> list[str]:
    """The old tables replication would read that have no stream on (or do not exist), by name."""
    missing = []
    for placement in layout.placements.values():
        described = await describe_table(dynamo, placement.entity.table) or {}
        if not (described.get("StreamSpecification") or {}).get("StreamEnabled"):
            missing.append(placement.entity.table.name)
    return missing
