"""The single table's stream as the old tables' streams: the live updates across the migration's cutover (SPEC 14).

At cutover the API writes the single table only, so the old tables' streams stop changing. From the phase before it
(`reads`) through cutover, each instance (LIVE_BUS unset) also reads the single table's stream, and hands each record
on as the record its old table would have had: the item's `Type` names its entity, the layout's `from_single`
gives the old item (the generic `PK`, `SK`, `Type` and `GSI<n>` attributes left out), and `Keys` are the old
table's. The translated record goes where an old table's record goes (graphql_api.live.service: the table's feed,
its subscribers' filters, the audit trail, the catalog version), so nothing downstream tells the two apart.

The switch is seamless. Reading both streams from the reads phase on means an instance reads the single table
before any instance writes it alone: in the reads phase every write reaches both streams (dual-write's twin in
the same transaction; another writer's change through `migrate replicate`), at cutover only the single table's,
and after a rollback both again. Each change is delivered once, by whichever stream shows it first, in write
order per item (graphql_api.live.dedupe). Only an instance that never saw the reads phase (it missed the phase
between two polls, with `reads` and `cutover` less than a poll apart) starts reading the single table after
others may have written it alone: its subscribers are closed with UNAVAILABLE "changes may have been missed",
as after a gap in a stream. The reader starts at the stream's end (LATEST), like every live reader, and stops
when the phase leaves both (design after a rollback, finalized), once no instance writes the single table alone.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from graphql_api.dynamo.serialization import AttributeValue, Item, deserialize_item
from graphql_api.entity import Entity
from graphql_api.live.hub import STREAM_GAP
from graphql_api.live.streams import Deliver, Record

logger = logging.getLogger(__name__)

FromSingle = Callable[[Item], tuple[Entity[Any], Item]]
"""A single-table item -> its entity and its old table's item (graphql_api.migration.layout.Layout.from_single)."""
Read = Callable[[Deliver, Callable[[str], Awaitable[None]], asyncio.Event], Coroutine[Any, Any, None]]
"""Follow the single table's stream: `read(deliver, on_gap, ready)` (graphql_api.live.service)."""
Dispatch = Callable[[Entity[Any], Record], Awaitable[None]]
"""Hand a translated record on as its old table's record."""

LINGER = 60.0
"""Seconds after the reader stops during which both streams' copies are still told apart (graphql_api.live.dedupe)."""
MISSED = "changes may have been missed (the single table's stream was read late): subscribe again"


def old_record(record: Record, from_single: FromSingle) -> tuple[Entity[Any], Record] | None:
    """The record as its entity's old table would have had it; None for an item of no entity (no `Type`)."""
    images = record["dynamodb"]
    image = images.get("NewImage") or images.get("OldImage")
    if not image:
        return None
    try:
        entity, _ = from_single(deserialize_item(image))
    except KeyError:
        return None
    translated = dict(images)
    for side in ("OldImage", "NewImage"):
        if images.get(side):
            translated[side] = _old_image(images[side], from_single)
    kept = translated.get("NewImage") or translated["OldImage"]
    translated["Keys"] = {name: kept[name] for name in entity.table.key_names}
    return entity, {**record, "dynamodb": translated}


def _old_image(image: dict[str, AttributeValue], from_single: FromSingle) -> dict[str, AttributeValue]:
    """The image's old attributes as they came (wire format: nothing re-encoded, so both streams' images compare)."""
    _, plain = from_single(deserialize_item(image))
    return {name: value for name, value in image.items() if name in plain}


class SingleTableFeed:
    """Reads the single table's stream while `wanted()` (the phase, as this instance follows it) and `needed()` (a
    table's changes are followed in this process: none on Lambda), each record translated."""

    def __init__(
        self,
        read: Read,
        from_single: FromSingle,
        dispatch: Dispatch,
        lost: Callable[[str], None],
        wanted: Callable[[], bool],
        single_writes: Callable[[], bool],
        needed: Callable[[], bool],
        *,
        check_every: float = 0.25,
    ) -> None:
        self._read = read
        self._from_single = from_single
        self._dispatch = dispatch
        self._lost = lost
        self._wanted = wanted
        self._single_writes = single_writes
        self._needed = needed
        self.check_every = check_every
        self.ready = asyncio.Event()
        """Set once the reader holds its shard iterators: from then on it misses nothing."""
        self.translated = 0
        self.in_phase = False
        self._stopped_at = -LINGER
        """Whether the phase wanted the single table's stream at the last check."""
        self.checks = 0
        self._reader: asyncio.Task[None] | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def active(self) -> bool:
        return self._reader is not None

    @property
    def overlapping(self) -> bool:
        """Whether a change may reach this process by both streams: while the reader runs, and for `LINGER` seconds
        after it stopped (the old tables' records of a rollback's copy back may still be on their way)."""
        return self._reader is not None or time.monotonic() - self._stopped_at < LINGER

    async def caught_up(self) -> None:
        """Start reading if the phase wants it; return once the reader misses nothing more (or none is needed). A
        subscription is confirmed after this."""
        if self._wanted():
            self._begin()
        if self._reader is not None:
            await self.ready.wait()

    def start(self) -> None:
        """Follow the phase (this instance's view of it, in memory: no request to DynamoDB) until `close`."""
        self.in_phase = self._wanted()
        if self.in_phase and self._needed():
            self._begin()
        self._task = asyncio.get_running_loop().create_task(self._follow(), name="single-table-feed")

    async def _follow(self) -> None:
        while True:
            await asyncio.sleep(self.check_every)
            self.checks += 1
            in_phase = self._wanted()
            if in_phase and not self.in_phase and self._single_writes():
                # The reads phase was missed between two polls: others may have written the single table alone.
                self._lost(MISSED)
            self.in_phase = in_phase
            if in_phase and self._needed():
                self._begin()
            elif not in_phase and self._reader is not None:
                await self._stop()

    def _begin(self) -> None:
        if self._reader is not None:
            return
        self.ready.clear()
        self._reader = asyncio.get_running_loop().create_task(self._read(self._deliver, self._gap, self.ready))
        logger.info("live updates: following the single table's stream too")

    async def _deliver(self, record: Record) -> None:
        found = old_record(record, self._from_single)
        if found is not None:
            self.translated += 1
            await self._dispatch(*found)

    async def _gap(self, shard: str) -> None:
        self._lost(STREAM_GAP)

    async def _stop(self) -> None:
        reader, self._reader = self._reader, None
        if reader is not None:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await reader
            self._stopped_at = time.monotonic()
        self.ready.clear()
        logger.info("live updates: no longer following the single table's stream")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._stop()
