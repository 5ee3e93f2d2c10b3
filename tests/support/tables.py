"""Every data table's contents at once: to show that a call changed nothing (the rate limits' counters, which
every call moves, are the service's own, not data)."""

from __future__ import annotations

from typing import Any

from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.settings import Settings
from tests.support.api import run_with_dynamo


def snapshot(settings: Settings) -> dict[str, list[dict[str, Any]]]:
    """Every item of every declared data table, in a stable order: to show that nothing changed."""

    async def scan(dynamo: Any) -> dict[str, list[dict[str, Any]]]:
        tables: dict[str, list[dict[str, Any]]] = {}
        for table in (entity.table for entity in DATA_ENTITIES):
            items: list[dict[str, Any]] = []
            params: dict[str, Any] = {"TableName": table.physical_name(dynamo.table_prefix), "ConsistentRead": True}
            while True:
                page = await dynamo.call("scan", **params)
                items += [deserialize_item(item) for item in page.get("Items", [])]
                if "LastEvaluatedKey" not in page:
                    break
                params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
            tables[table.name] = sorted(items, key=lambda item: tuple(str(item[k]) for k in table.key_names))
        return tables

    result: dict[str, list[dict[str, Any]]] = run_with_dynamo(settings, scan)
    return result
