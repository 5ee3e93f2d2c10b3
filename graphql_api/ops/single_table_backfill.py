"""`graphql-api migrate backfill`: every item of the faux-SQL tables copied into the single table, in its new shape.

Each data table is scanned in parallel segments (graphql_api.ops.table_scan's way, with its progress); each item
is written with a PutItem conditioned on the single table holding no item there, or an older or the same `Version`
of it: what dual-write (or an earlier run) already wrote at a newer version is kept; the same version is written
again (the same content, or a partial item that dual-write's update created, completed). An item whose keys
need its parent's attributes (an order's line: its customer and date) reads its parent from the old tables.
After every page, the segment's position is recorded in the migration table (graphql_api.migration.phase), so a
backfill stopped anyhow resumes where each segment stood; a page copied again is harmless (the condition).
"""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.entity import Entity
from graphql_api.migration.phase import read_checkpoint, write_checkpoint
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.single_table import Layout
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS, table_task

WRITES_AT_ONCE = 16


class BackfillCounts(Counter[str]):
    """Items `scanned` and `copied`; `kept`: not written, the single table held the same or a newer version;
    `orphaned`: not written, its parent (whose attributes its keys need) is gone."""


@dataclass
class BackfillResult:
    counts: BackfillCounts = field(default_factory=BackfillCounts)
    complete: bool = True
    pages: int = 0


def single_table_name(dynamo: Dynamo, layout: Layout) -> str:
    return layout.table.physical_name(dynamo.table_prefix)


async def put_if_newer(dynamo: Dynamo, layout: Layout, item: Item) -> bool:
    """Write `item` unless the single table holds a newer Version of it; True when written."""
    params: dict[str, Any] = {"TableName": single_table_name(dynamo, layout), "Item": serialize_item(item)}
    if item.get("Version") is not None:
        # The same version is the same write: written again, it completes a partial item of dual-write's update.
        params["ConditionExpression"] = "attribute_not_exists(PK) OR Version <= :v"
        params["ExpressionAttributeValues"] = serialize_item({":v": item["Version"]})
    else:  # an item without a version (a counter): the first copy wins
        params["ConditionExpression"] = "attribute_not_exists(PK)"
    try:
        await dynamo.call("put_item", **params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        return False
    return True


async def converted(dynamo: Dynamo, layout: Layout, entity: Entity[Any], items: Sequence[Item]) -> list[Item | None]:
    """The items in their single-table shape; None for an orphan (its parent is gone)."""
    needed = layout.ancestors_needed(entity)
    if needed is None:
        return [layout.to_single(entity, item) for item in items]
    parent, via = needed
    keys = [(parent.table, (item[entity.attribute(via)],)) for item in items]
    parents = await batch_get(dynamo, keys)
    return [
        None if found is None else layout.to_single(entity, item, found)
        for item, found in zip(items, parents, strict=True)
    ]


async def backfill(
    dynamo: Dynamo,
    layout: Layout,
    *,
    segments: int = DEFAULT_SEGMENTS,
    page_size: int | None = None,
    max_pages: int | None = None,
    progress: Progress = quiet,
) -> BackfillResult:
    """Copy every data table into the single table, resuming each segment from its checkpoint."""
    result = BackfillResult()
    writes = asyncio.Semaphore(WRITES_AT_ONCE)

    async def write(item: Item) -> bool:
        async with writes:
            return await put_if_newer(dynamo, layout, item)

    async def copy_segment(entity: Entity[Any], segment: int, advance: Any) -> None:
        name = entity.table.name
        checkpoint_name = f"{name}#{segments}"  # a checkpoint holds for one split of the table
        saved = await read_checkpoint(dynamo, checkpoint_name, segment)
        if saved is not None and saved.done:
            return
        copied, kept = (saved.copied or 0, saved.kept or 0) if saved else (0, 0)
        params: dict[str, Any] = {
            "TableName": entity.table.physical_name(dynamo.table_prefix),
            "Segment": segment,
            "TotalSegments": segments,
            "ConsistentRead": True,
        }
        if saved is not None and saved.start_key:
            params["ExclusiveStartKey"] = json.loads(saved.start_key)
        if page_size is not None:
            params["Limit"] = page_size
        while True:
            if max_pages is not None and result.pages >= max_pages:
                result.complete = False  # stopped where every segment stands: its checkpoint is written
                return
            result.pages += 1
            page = await dynamo.call("scan", **params)
            items = [deserialize_item(item) for item in page.get("Items", [])]
            news = await converted(dynamo, layout, entity, items)
            outcomes = await asyncio.gather(*(write(new) for new in news if new is not None))
            result.counts["scanned"] += len(items)
            result.counts["orphaned"] += sum(new is None for new in news)
            result.counts["copied"] += sum(outcomes)
            result.counts["kept"] += len(outcomes) - sum(outcomes)
            copied, kept = copied + sum(outcomes), kept + len(outcomes) - sum(outcomes)
            advance(len(items))
            last = page.get("LastEvaluatedKey")
            await write_checkpoint(dynamo, checkpoint_name, segment, last, copied, kept)
            if last is None:
                return
            params["ExclusiveStartKey"] = last

    for placement in layout.placements.values():
        if not result.complete:
            break
        task = await table_task(dynamo, placement.entity.table, progress)
        try:
            await asyncio.gather(
                *(copy_segment(placement.entity, segment, task.advance) for segment in range(segments))
            )
        finally:
            task.close()
    return result
