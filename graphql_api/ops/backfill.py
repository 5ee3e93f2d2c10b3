"""`graphql-api backfill NAME`: the "add a GSI, then backfill" migration step of the faux-SQL method.

A GSI indexes only the items that carry its key attributes, so items written before the
attribute existed stay invisible to it. A backfill scans the table in parallel segments and
sets the attribute on every item that lacks it, with a value computed by a named, registered
function (`BACKFILLS`). It is safe to run against a live table and to run again:

- each write is an UpdateItem conditioned on `attribute_not_exists(ATTRIBUTE) AND
  attribute_exists(<hash key>)`, so it never overwrites a value a newer write has set and never
  resurrects a deleted item as a stub;
- it changes only that attribute: `Version` and `UpdatedAt` stay as they are, because the item
  gains a value it already had implicitly, and clients holding `expectedVersion` must not fail;
- with `--checkpoint PATH` it records, after every page, where each segment stands (the page's
  LastEvaluatedKey), and a later run with the same path continues from there.

`counters` is of another kind: it builds the counters from the items they count (graphql_api.ops.counter_rebuild),
in one run (no checkpoint), as safely on a live table and as idempotently.
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import AttributeValue, Item, deserialize_item, serialize_value
from graphql_api.ops.counter_rebuild import rebuild_counters
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.table_scan import table_task
from graphql_api.repositories.counters import COUNTERS
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.tables import Table


@dataclass(frozen=True)
class Backfill:
    """Set `attribute` on the items of `table` that lack it, to `value_for(item)` (None: leave the item); or, with
    `rebuild`, build the table's items in one run (the counters)."""

    name: str
    table: Table
    attribute: str
    description: str
    value_for: Callable[[Item], Any] = lambda item: None
    rebuild: Callable[[Dynamo, int, Progress], Awaitable[Counts]] | None = None
    """Instead of setting a missing attribute: builds the table's items in one run (segments, progress)."""


async def _rebuild_counters(dynamo: Dynamo, segments: int, progress: Progress) -> Counts:
    rebuilt = await rebuild_counters(dynamo, segments=segments, progress=progress)
    return Counts(scanned=rebuilt.scanned, updated=rebuilt.changed, already_set=rebuilt.right, skipped=rebuilt.moving)


def _initial_order_status(item: Item) -> str:
    # Every status transition writes Status, so an order without one has never left its first state.
    status: str = ORDERS.stored("status", OrderStatus.PENDING)
    return status


BACKFILLS: dict[str, Backfill] = {
    backfill.name: backfill
    for backfill in (
        Backfill(
            name="orders-status",
            table=ORDERS.table,
            attribute=ORDERS.attribute("status"),
            value_for=_initial_order_status,
            description=(
                "Orders.Status = PENDING where missing, so that orders written before StatusIndex "
                "existed appear in it (ordersByStatus)"
            ),
        ),
        Backfill(
            name="counters",
            table=COUNTERS.table,
            attribute=COUNTERS.attribute("count"),
            description=(
                "Counters built from the items they count (categories, order statuses, reviews per customer): "
                "a counter that is wrong is corrected, one that moved during the scan is left (skipped: run again)"
            ),
            rebuild=_rebuild_counters,
        ),
    )
}


class BackfillError(Exception):
    """A backfill that cannot start: an unknown name, or a checkpoint of another run."""


@dataclass
class Counts:
    scanned: int = 0
    updated: int = 0
    already_set: int = 0
    """Had the attribute when scanned, or got it from another writer before our update."""
    skipped: int = 0
    """The backfill function gave no value for the item."""
    gone: int = 0
    """Deleted by another writer between our scan and our update."""

    def add(self, other: Counts) -> None:
        for name, value in asdict(other).items():
            setattr(self, name, getattr(self, name) + value)

    def summary(self) -> str:
        return (
            f"scanned {self.scanned}, updated {self.updated}, already set {self.already_set}, "
            f"skipped {self.skipped}, gone {self.gone}"
        )


@dataclass
class SegmentProgress:
    start_key: dict[str, AttributeValue] | None = None
    """Where the next page starts: the last page's LastEvaluatedKey (None: at the beginning)."""
    done: bool = False


@dataclass
class Checkpoint:
    """Progress of one backfill on one table, as saved after every page."""

    backfill: str
    table: str
    total_segments: int
    segments: list[SegmentProgress]
    counts: Counts = field(default_factory=Counts)
    """Totals since the first run that wrote this checkpoint."""

    @classmethod
    def start(cls, backfill: str, table: str, total_segments: int) -> Checkpoint:
        return cls(backfill, table, total_segments, [SegmentProgress() for _ in range(total_segments)])

    @property
    def complete(self) -> bool:
        return all(segment.done for segment in self.segments)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Checkpoint:
        return cls(
            backfill=data["backfill"],
            table=data["table"],
            total_segments=int(data["total_segments"]),
            segments=[SegmentProgress(segment["start_key"], bool(segment["done"])) for segment in data["segments"]],
            counts=Counts(**data["counts"]),
        )


def load_checkpoint(path: Path) -> Checkpoint | None:
    if not path.exists():
        return None
    return Checkpoint.from_json(json.loads(path.read_text()))


def save_checkpoint(path: Path, checkpoint: Checkpoint) -> None:
    """Replace the file atomically, so an interrupted run never leaves half a checkpoint."""
    partial = path.with_name(path.name + ".partial")
    partial.write_text(json.dumps(checkpoint.to_json(), indent=2, sort_keys=True) + "\n")
    os.replace(partial, path)


@dataclass(frozen=True)
class BackfillResult:
    counts: Counts
    """This run's counts."""
    total: Counts
    """Since the checkpoint was started (this run's counts when there is no checkpoint)."""
    complete: bool
    resumed: bool


class _PageBudget:
    """`--max-pages`: how many more pages this run may read, across all segments."""

    def __init__(self, limit: int | None) -> None:
        self._remaining = limit

    def take(self) -> bool:
        if self._remaining is None:
            return True
        if self._remaining <= 0:
            return False
        self._remaining -= 1
        return True


async def run_backfill(
    dynamo: Dynamo,
    backfill: Backfill,
    *,
    segments: int = 4,
    page_size: int = 100,
    checkpoint_path: Path | None = None,
    max_pages: int | None = None,
    concurrency: int = 16,
    progress: Progress = quiet,
) -> BackfillResult:
    """Scan `backfill.table` in `segments` parallel segments, pages of `page_size` items, and set the attribute.

    With `checkpoint_path`, progress is saved after every page and a run with an existing
    checkpoint continues from it. `max_pages` stops the run after that many pages in all
    (it needs a checkpoint, or the work done would be lost to the next run).
    """
    if segments < 1 or page_size < 1 or concurrency < 1:
        raise BackfillError("segments, page size and concurrency must be at least 1")
    if backfill.rebuild is not None:
        if checkpoint_path is not None or max_pages is not None:
            raise BackfillError(f"{backfill.name} runs in one go: no --checkpoint or --max-pages")
        counts = await backfill.rebuild(dynamo, segments, progress)
        return BackfillResult(counts=counts, total=replace(counts), complete=True, resumed=False)
    if max_pages is not None and checkpoint_path is None:
        raise BackfillError("--max-pages needs --checkpoint, so that the next run can continue")
    table_name = backfill.table.physical_name(dynamo.table_prefix)
    checkpoint = load_checkpoint(checkpoint_path) if checkpoint_path else None
    resumed = checkpoint is not None
    if checkpoint is None:
        checkpoint = Checkpoint.start(backfill.name, table_name, segments)
    elif (checkpoint.backfill, checkpoint.table, checkpoint.total_segments) != (backfill.name, table_name, segments):
        raise BackfillError(
            f"checkpoint {checkpoint_path} belongs to backfill {checkpoint.backfill!r} on {checkpoint.table} "
            f"with {checkpoint.total_segments} segments, not {backfill.name!r} on {table_name} with {segments}; "
            "use another --checkpoint path, or the same --segments"
        )
    run = Counts()
    task = await table_task(dynamo, backfill.table, progress)
    budget = _PageBudget(max_pages)
    slots = asyncio.Semaphore(concurrency)

    async def set_missing(item: dict[str, Any]) -> Counts:
        async with slots:
            return await _set_missing(dynamo, backfill, table_name, item)

    def page_done(segment: int, start_key: dict[str, AttributeValue] | None, counts: Counts) -> None:
        # Runs without an await, so concurrent segments never interleave their saves.
        checkpoint.segments[segment] = SegmentProgress(start_key, done=start_key is None)
        checkpoint.counts.add(counts)
        run.add(counts)
        task.advance(counts.scanned)
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, checkpoint)

    async def scan_segment(segment: int) -> None:
        progress = checkpoint.segments[segment]
        start_key, done = progress.start_key, progress.done
        while not done and budget.take():
            params: dict[str, Any] = {
                "TableName": table_name,
                "Segment": segment,
                "TotalSegments": segments,
                "Limit": page_size,
                # Only items still lacking the attribute come back; ScannedCount still counts them all.
                "FilterExpression": "attribute_not_exists(#attribute)",
                "ExpressionAttributeNames": {"#attribute": backfill.attribute},
            }
            if start_key is not None:
                params["ExclusiveStartKey"] = start_key
            page = await dynamo.call("scan", **params)
            items = page.get("Items", [])
            counts = Counts(scanned=page["ScannedCount"], already_set=page["ScannedCount"] - len(items))
            for outcome in await asyncio.gather(*(set_missing(item) for item in items)):
                counts.add(outcome)
            start_key = page.get("LastEvaluatedKey")
            done = start_key is None
            page_done(segment, start_key, counts)

    try:
        await asyncio.gather(*(scan_segment(segment) for segment in range(segments)))
    finally:
        task.close()
    return BackfillResult(counts=run, total=replace(checkpoint.counts), complete=checkpoint.complete, resumed=resumed)


async def _set_missing(dynamo: Dynamo, backfill: Backfill, table_name: str, wire_item: dict[str, Any]) -> Counts:
    """The conditional UpdateItem of one scanned item; its outcome as counts."""
    value = backfill.value_for(deserialize_item(wire_item))
    if value is None:
        return Counts(skipped=1)
    table = backfill.table
    try:
        await dynamo.call(
            "update_item",
            TableName=table_name,
            Key={name: wire_item[name] for name in table.key_names},
            UpdateExpression="SET #attribute = :value",
            ConditionExpression="attribute_not_exists(#attribute) AND attribute_exists(#key)",
            ExpressionAttributeNames={"#attribute": backfill.attribute, "#key": table.hash_key.name},
            ExpressionAttributeValues={":value": serialize_value(value)},
            ReturnValuesOnConditionCheckFailure="ALL_OLD",
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        # The old item tells the two races apart: set by another writer meanwhile, or deleted.
        return Counts(already_set=1) if error.response.get("Item") else Counts(gone=1)
    return Counts(updated=1)
