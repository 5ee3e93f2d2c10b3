"""Whole-table reads for the operator's tools (validate, export): parallel segmented Scans.

A Scan reads a table in `segments` disjoint parts at once (DynamoDB splits the key space), each
part page by page. Reads are strongly consistent: every item is the latest version committed when
its page was read. A scan is not a snapshot: an item written during the scan may or may not be in
it, and the items of one transaction may be read on either side of it. The tools built on this say
what that means for them (validate confirms what it finds; export states it in its manifest).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import AttributeValue, Item, deserialize_item
from graphql_api.ops.progress import Progress, Task, quiet
from graphql_api.tables import Table

DEFAULT_SEGMENTS = 4
WireItem = dict[str, AttributeValue]


async def table_task(dynamo: Dynamo, table: Table, progress: Progress) -> Task:
    """A progress task over a table's items; its total is DescribeTable's ItemCount (refreshed by DynamoDB about
    every six hours, so a guess), asked only when the progress shows it."""
    total = None
    if progress.shows_totals:
        response = await dynamo.call("describe_table", TableName=table.physical_name(dynamo.table_prefix))
        count = response["Table"].get("ItemCount")
        total = int(count) if count is not None else None
    return progress.task(table.name, total)


async def scan_pages(
    dynamo: Dynamo,
    table: Table,
    consume: Callable[[list[WireItem]], Awaitable[None] | None],
    *,
    segments: int = DEFAULT_SEGMENTS,
    page_size: int | None = None,
    progress: Progress = quiet,
) -> int:
    """Scan every item of `table` in parallel segments and hand each page (wire format) to `consume`.

    `consume` runs for one page at a time per segment; pages of different segments interleave.
    Returns the number of items scanned.
    """
    name = table.physical_name(dynamo.table_prefix)
    task = await table_task(dynamo, table, progress)
    scanned = 0

    async def scan_segment(segment: int) -> None:
        nonlocal scanned
        params: dict[str, Any] = {
            "TableName": name,
            "Segment": segment,
            "TotalSegments": segments,
            "ConsistentRead": True,
        }
        if page_size is not None:
            params["Limit"] = page_size
        while True:
            page = await dynamo.call("scan", **params)
            items: list[WireItem] = page.get("Items", [])
            handled = consume(items)
            if handled is not None:
                await handled
            scanned += len(items)
            task.advance(len(items))
            if "LastEvaluatedKey" not in page:
                return
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    try:
        await asyncio.gather(*(scan_segment(segment) for segment in range(segments)))
    finally:
        task.close()
    return scanned


async def scan_items(
    dynamo: Dynamo, table: Table, *, segments: int = DEFAULT_SEGMENTS, progress: Progress = quiet
) -> list[Item]:
    """Every item of `table`, deserialized (Python values), in no particular order."""
    items: list[Item] = []
    await scan_pages(
        dynamo,
        table,
        lambda page: items.extend(deserialize_item(item) for item in page),
        segments=segments,
        progress=progress,
    )
    return items
