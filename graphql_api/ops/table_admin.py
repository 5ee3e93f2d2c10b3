"""Creating the tables at the configured endpoint, from the declarations (their status: graphql_api.table_status)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from graphql_api.dynamo.client import Dynamo
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.table_status import table_status
from graphql_api.tables import Table

__all__ = ["create_tables", "table_status"]


async def create_tables(
    dynamo: Dynamo, *, poll_interval: float = 0.5, tables: Sequence[Table] = ALL_TABLES
) -> list[str]:
    """Create every declared table that does not exist yet; wait until all are ACTIVE; then turn on the time to
    live of each table created that declares one (CreateTable cannot: UpdateTimeToLive needs an ACTIVE table).

    Idempotent: existing tables are left as they are. Returns the names of the tables created.
    """
    created = []
    for table in tables:
        if await table_status(dynamo, table) is None:
            await dynamo.call("create_table", **table.create_table_params(dynamo.table_prefix))
            created.append(table)
    while not await _all_active(dynamo, tables):  # noqa: ASYNC110 - polling DynamoDB, not waiting on a local event
        await asyncio.sleep(poll_interval)
    for table in created:
        if (time_to_live := table.time_to_live_params(dynamo.table_prefix)) is not None:
            await dynamo.call("update_time_to_live", **time_to_live)
    return [table.physical_name(dynamo.table_prefix) for table in created]


async def _all_active(dynamo: Dynamo, tables: Sequence[Table]) -> bool:
    statuses = await asyncio.gather(*(table_status(dynamo, table) for table in tables))
    return all(status == "ACTIVE" for status in statuses)
