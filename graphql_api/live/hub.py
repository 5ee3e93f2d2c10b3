"""Fan-out of table changes to subscribers, each with a bounded queue, and the stream readers that feed it.

A change is decoded once, through the entity's own item mapping (`Entity.from_item`: no second way to
read an item), then offered to every subscriber of its table whose filter matches. A subscriber that
falls `queue_size` changes behind is closed (it gets `SubscriberTooSlow` on its next read) rather than
making the process hold its backlog, and no other subscriber waits for it: publishing never blocks.

Readers start with the first subscription to their table (one per table and process) and keep
running; `ready` is awaited before a subscription is confirmed, so no change written after the
subscription started is missed.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.live.streams import Record
from graphql_api.metrics import LIVE_EVENTS, LIVE_STREAM_LAG, LIVE_SUBSCRIPTIONS

logger = logging.getLogger(__name__)

T = TypeVar("T")

STREAM_GAP = "changes may have been missed (the stream was out of reach too long): subscribe again"


@dataclass(frozen=True)
class Change(Generic[T]):
    """One write to an item, as the stream tells it: the item before and after (None: absent)."""

    old: T | None
    new: T | None
    written_at: datetime


class SubscriberTooSlow(Unavailable):
    """A subscriber fell a whole queue behind: it is closed so that memory stays bounded."""


@dataclass(eq=False)
class Subscriber(Generic[T]):
    matches: Callable[[Change[T]], bool]
    queue: asyncio.Queue[Change[T]]
    closed_by: Unavailable | None = None
    """Why the subscription ends: it fell behind, or changes may have been lost upstream."""
    delivered: int = 0
    _wake: asyncio.Event = field(default_factory=asyncio.Event)

    def offer(self, change: Change[T]) -> None:
        if self.closed_by is not None or not self.matches(change):
            return
        try:
            self.queue.put_nowait(change)
        except asyncio.QueueFull:
            LIVE_EVENTS.labels("dropped").inc()
            self.close(
                SubscriberTooSlow(
                    f"this subscription fell {self.queue.maxsize} changes behind and was closed: subscribe again "
                    "and read the current state by query"
                )
            )
            return
        self._wake.set()

    def close(self, reason: Unavailable) -> None:
        self.closed_by = reason
        self._wake.set()

    async def changes(self) -> AsyncGenerator[Change[T], None]:
        # One event wakes the reader for a change or a close: no helper task is started, so a subscription
        # ended while waiting leaves nothing pending (each used to leave a getter and a waiter behind).
        while True:
            if self.closed_by is not None:
                raise self.closed_by
            if self.queue.empty():
                self._wake.clear()
                await self._wake.wait()
                continue
            change = self.queue.get_nowait()
            self.delivered += 1
            LIVE_EVENTS.labels("delivered").inc()
            yield change


@dataclass
class TableFeed(Generic[T]):
    entity: Entity[T]
    subscribers: set[Subscriber[T]] = field(default_factory=set)
    reader: asyncio.Task[None] | None = None
    ready: asyncio.Event = field(default_factory=asyncio.Event)

    def lost_changes(self, shard: str) -> None:
        """The stream no longer held changes this process had not read: every subscriber is told, and closed."""
        self.close_all(STREAM_GAP)

    def close_all(self, reason: str) -> None:
        """End every subscription with UNAVAILABLE `reason` (changes may have been lost upstream)."""
        for subscriber in list(self.subscribers):
            subscriber.close(Unavailable(reason))

    def publish(self, record: Record) -> None:
        images = record["dynamodb"]
        old = images.get("OldImage")
        new = images.get("NewImage")
        written = images.get("ApproximateCreationDateTime")
        written_at = written if isinstance(written, datetime) else datetime.fromtimestamp(float(written or 0))
        LIVE_STREAM_LAG.labels(self.entity.table.name).set(max(0.0, time.time() - written_at.timestamp()))
        change = Change(
            old=self.entity.from_item(deserialize_item(old)) if old else None,
            new=self.entity.from_item(deserialize_item(new)) if new else None,
            written_at=written_at,
        )
        for subscriber in list(self.subscribers):
            subscriber.offer(change)


class Hub:
    """Every table feed of one process; `start_reader(feed)` is how a feed's stream gets read."""

    def __init__(self, start_reader: Callable[[TableFeed[Any]], asyncio.Task[None]], queue_size: int) -> None:
        self._start_reader = start_reader
        self.queue_size = queue_size
        self._feeds: dict[str, TableFeed[Any]] = {}

    def feed(self, entity: Entity[T]) -> TableFeed[T]:
        feed = self._feeds.get(entity.table.name)
        if feed is None:
            feed = self._feeds[entity.table.name] = TableFeed(entity)
        return feed

    @asynccontextmanager
    async def subscribe(
        self, entity: Entity[T], matches: Callable[[Change[T]], bool], *, ready_within: float = 10.0
    ) -> AsyncIterator[Subscriber[T]]:
        feed = self.feed(entity)
        if feed.reader is None or feed.reader.done():
            feed.ready.clear()
            feed.reader = self._start_reader(feed)
        subscriber: Subscriber[T] = Subscriber(matches, asyncio.Queue(self.queue_size))
        feed.subscribers.add(subscriber)
        try:
            try:
                await asyncio.wait_for(feed.ready.wait(), ready_within)
            except TimeoutError:
                raise Unavailable("live updates are not available right now; retry later") from None
            LIVE_SUBSCRIPTIONS.inc()  # counted once it cannot miss a change
            try:
                yield subscriber
            finally:
                LIVE_SUBSCRIPTIONS.dec()
        finally:
            feed.subscribers.discard(subscriber)

    def existing(self, table_name: str) -> TableFeed[Any] | None:
        """The feed of a table if one was made (a subscription or the audit trail needs its changes)."""
        return self._feeds.get(table_name)

    def following(self) -> bool:
        """Whether any table's changes are followed in this process (a subscription, the audit trail, the catalog)."""
        return bool(self._feeds)

    def close_all(self, reason: str) -> None:
        for feed in self._feeds.values():
            feed.close_all(reason)

    async def close(self) -> None:
        readers = [feed.reader for feed in self._feeds.values() if feed.reader]
        for reader in readers:
            reader.cancel()
        await asyncio.gather(*readers, return_exceptions=True)
