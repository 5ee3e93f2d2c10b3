"""Creating the tables at the configured endpoint, from the declarations (their status: graphql_api.table_status)."""

from __future__ import annotations

import asyncio

from graphql_api.dynamo.client import Dynamo
from graphql_api.repositories import ALL_TABLES
from graphql_api.table_status import missing_tables, table_status

__all__ = ["create_tables", "missing_tables", "table_status"]


async def create_tables(dynamo: Dynamo, *, poll_interval: float = 0.5) -> list[str]:
    """Create every declared table that does not exist yet; wait until all are ACTIVE.

    Idempotent: existing tables are left as they are. Returns the names of the tables created.
    """
    created = []
    for table in ALL_TABLES:
        if await table_status(dynamo, table) is None:
            await dynamo.call("create_table", **table.create_table_params(dynamo.table_prefix))
            created.append(table.physical_name(dynamo.table_prefix))
    while await missing_tables(dynamo):  # noqa: ASYNC110 - polling DynamoDB, not waiting on a local event
        await asyncio.sleep(poll_interval)
    return created
