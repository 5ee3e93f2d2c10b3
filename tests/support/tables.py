"""Every data table's contents at once: to show that a call changed nothing (the rate limits' counters, which
every call moves, are the service's own, not data)."""

from __future__ import annotations

import asyncio
from typing import Any

from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.settings import Settings
from graphql_api.tables import Table
from tests.support.api import run_with_dynamo


def snapshot(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every item of every declared data table, in a stable order: to show that nothing changed."""

    async def scan_table(dynamo: Any, table: Table) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        params: dict[str, Any] = {"TableName": table.physical_name(dynamo.table_prefix), "ConsistentRead": True}
        while True:
            page = await dynamo.call("scan", **params)
            items += [deserialize_item(item) for item in page.get("Items", [])]
            if "LastEvaluatedKey" not in page:
                break
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return sorted(items, key=lambda item: tuple(str(item[k]) for k in table.key_names))

    async def scan(dynamo: Any) -> dict[str, list[dict[str, Any]]]:
        # The tables side by side: DynamoDB Local answers them at once (moto in turn, as before).
        tables = [entity.table for entity in DATA_ENTITIES]
        contents = await asyncio.gather(*(scan_table(dynamo, table) for table in tables))
        return {table.name: items for table, items in zip(tables, contents, strict=True)}

    result: dict[str, list[dict[str, Any]]] = run_with_dynamo(settings, scan)
    return result
