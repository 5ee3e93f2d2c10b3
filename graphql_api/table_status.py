"""Whether the declared tables are there: DescribeTable on each (the app's /readyz, `tables create`)."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.tables import Table


async def describe_table(dynamo: Dynamo, table: Table) -> dict[str, Any] | None:
    """DescribeTable's "Table" for the declared table, or None when it does not exist."""
    try:
        response = await dynamo.call("describe_table", TableName=table.physical_name(dynamo.table_prefix))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return None
        raise
    described: dict[str, Any] = response["Table"]
    return described


async def table_status(dynamo: Dynamo, table: Table) -> str | None:
    """The table's status (ACTIVE, CREATING, ...), or None if it does not exist."""
    described = await describe_table(dynamo, table)
    return None if described is None else str(described["TableStatus"])


async def missing_tables(dynamo: Dynamo, tables: Sequence[Table]) -> list[str]:
    """Of `tables` (the declared ones: graphql_api.graphql.registry), those not ACTIVE at the endpoint (empty when
    the service can serve)."""
    statuses = await asyncio.gather(*(table_status(dynamo, table) for table in tables))
    return [table.name for table, status in zip(tables, statuses, strict=True) if status != "ACTIVE"]
