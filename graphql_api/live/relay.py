"""The live-updates relay: each stream shard read by exactly one relay, its records published on the bus.

`graphql-api relay` runs one `Relay`; any number may run (for availability), and a lease per shard
(graphql_api.live.leases) lets exactly one of them read it, so the shard has one reader however many
instances serve subscriptions. For each followed table the relay lists the stream's shards every
`lease_seconds / 3`, takes every lease it can (free, expired, or its own) and reads those shards:

- from the lease's checkpoint (AFTER_SEQUENCE_NUMBER) when it has one, else from the shard's beginning,
  skipping records written before relays first followed the table (the lease table's "since" item);
- a child shard only once its parent is finished, so an item's changes stay in order across a split;
- each batch of records is published (graphql_api.live.bus) before its last sequence number is
  checkpointed with the lease's renewal: a relay that dies between the two has the next one publish
  them again, and the instances drop what they already delivered (at least once on the bus, exactly
  once per subscriber);
- a publish that fails (the bus is down) is retried, the lease renewed meanwhile, nothing checkpointed;
- a renewal refused (another relay took the shard after ours expired) stops reading the shard at once.

The same per-batch step (`publish_batch`) serves the Lambda stream consumer (graphql_api.live.consumer).

Across the single-table migration (`single_table`: a `SingleTableSource`), from the `reads` phase through cutover the
relays also read the single table's stream, its shards leased like any table's (LeaseKey
`<single table>@<overlap>#<shard>`, the overlap named by the phase item's version when `reads` began),
each record published on its old table's channel as that table's record (graphql_api.live.single_table_feed's
translation). While the migration writes the single table (dual-write through cutover, and a minute after) every
record goes through the bus's shared filter (graphql_api.live.bus_dedupe), so a change both streams carry is
published once. When the phase leaves reads and cutover the relay stops reading the single table; a later overlap
(another migration, or `reads` again after a rollback) has leases of its own, so it starts from its own "since",
never from a checkpoint of a past one (a few lease items per overlap are left behind).
"""

from __future__ import annotations

import asyncio
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from redis.exceptions import RedisError

from graphql_api.dynamo.client import Dynamo
from graphql_api.live import bus
from graphql_api.live.audit import AuditTrail
from graphql_api.live.bus_dedupe import publish_first
from graphql_api.live.leases import Lease, LeaseLost, Leases
from graphql_api.live.single_table_feed import LINGER, FromSingle, old_record
from graphql_api.live.streams import Record, StreamsCall
from graphql_api.metrics import LIVE_STREAM_LAG
from graphql_api.tables import Table

logger = logging.getLogger(__name__)

SINCE_MARGIN_SECONDS = 60.0
T = TypeVar("T")


def relay_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def written_at(record: Record) -> float:
    written = record["dynamodb"].get("ApproximateCreationDateTime")
    return written.timestamp() if isinstance(written, datetime) else float(written or 0)


async def publish_batch(publisher: bus.Publisher, channel: str, shard_id: str, records: Sequence[Record]) -> None:
    """Publish a batch of one shard's records, in order (RedisError if the bus is out of reach)."""
    await publisher.publish(channel, [bus.record_message(shard_id, record) for record in records])


Route = Callable[[Record], tuple[Table, Record] | None]
"""A stream's record -> the table whose channel publishes it and the record as published (None: not published)."""


@dataclass(frozen=True)
class SingleTableSource:
    """The single table of the migration, as the relay follows it."""

    table: Table
    from_single: FromSingle
    overlap: Callable[[], int | None]
    """The overlap the phase is in, named by the phase item's version when `reads` began; None outside reads and
    cutover (its stream is not read)."""
    writing: Callable[[], bool]
    """Whether the migration writes it (dual-write through cutover): two streams may carry a change."""


@dataclass(frozen=True)
class _Stream:
    table: Table
    """The table whose stream is read."""
    name: str
    """What prefixes its shards' lease keys (the table's name; the single table's with its overlap)."""
    route: Route
    channels: tuple[str, ...]
    """Where a gap notice goes."""
    scoped: bool
    """Whether a record's order scope names the table too (the single table's shard ids may be an old table's)."""


class Relay:
    def __init__(
        self,
        dynamo: Dynamo,
        streams: StreamsCall,
        publisher: bus.Publisher,
        tables: Sequence[Table],
        *,
        owner: str | None = None,
        lease_seconds: float = 10.0,
        max_idle: float = 0.25,
        audit: AuditTrail | None = None,
        single_table: SingleTableSource | None = None,
        check_every: float = 0.25,
    ) -> None:
        self.dynamo = dynamo
        self.streams = streams
        self.publisher = publisher
        self.tables = [table for table in tables if table.stream]
        self.owner = owner or relay_id()
        self.lease_seconds = lease_seconds
        self.renew_every = lease_seconds / 3
        self.max_idle = max_idle
        self.audit = audit  # the audit trail's entries, written before the checkpoint (graphql_api.live.audit)
        self.leases = Leases(dynamo, self.owner, lease_seconds)
        self.single_table = single_table
        self.check_every = check_every
        self._wrote_single_at = -LINGER
        self.stats: Counter[str] = Counter()
        """Records published, stream reads, takeovers and leases lost, for a look from a debugger or a test."""
        self.held: set[str] = set()
        """The keys of the shard leases this relay holds."""
        self._shards: dict[str, asyncio.Task[None]] = {}
        self._held: dict[str, Lease] = {}

    async def run(self) -> None:
        """Follow every table until cancelled; leases held are released on the way out."""
        try:
            following = [self._table(self._own_stream(table)) for table in self.tables]
            if self.single_table is not None:
                following.append(self._follow_single_table(self.single_table))
            await asyncio.gather(*following)
        finally:
            for task in self._shards.values():
                task.cancel()
            await asyncio.gather(*self._shards.values(), return_exceptions=True)
            for lease in list(self._held.values()):
                try:
                    await self.leases.release(lease)
                except (ClientError, BotoCoreError, OSError) as error:
                    logger.warning("relay: could not release %s: %s", lease.key, error)

    def _channel(self, table: Table) -> str:
        return bus.channel(table.physical_name(self.dynamo.table_prefix))

    def _own_stream(self, table: Table) -> _Stream:
        return _Stream(table, table.name, lambda record: (table, record), (self._channel(table),), scoped=False)

    def _single_stream(self, source: SingleTableSource, overlap: int) -> _Stream:
        def route(record: Record) -> tuple[Table, Record] | None:
            found = old_record(record, source.from_single)
            return None if found is None else (found[0].table, found[1])

        channels = tuple(self._channel(table) for table in self.tables)
        return _Stream(source.table, f"{source.table.name}@{overlap}", route, channels, scoped=True)

    @property
    def filtering(self) -> bool:
        """Whether two streams may carry a change: while the migration writes the single table, and a minute after
        (a rollback's copy back into the old tables may still be on its way)."""
        if self.single_table is None:
            return False
        if self.single_table.writing():
            self._wrote_single_at = time.monotonic()
            return True
        return time.monotonic() - self._wrote_single_at < LINGER

    async def _follow_single_table(self, source: SingleTableSource) -> None:
        """Read the single table's stream while the phase calls for it, under the leases of the current overlap."""
        reading: tuple[_Stream, asyncio.Task[None]] | None = None
        try:
            while True:
                overlap = source.overlap()
                if reading is not None and (overlap is None or reading[0].name != f"{source.table.name}@{overlap}"):
                    await self._stop_reading(*reading)
                    reading = None
                if overlap is not None and reading is None:
                    stream = self._single_stream(source, overlap)
                    logger.info("relay %s: following the single table's stream too (%s)", self.owner, stream.name)
                    reading = stream, asyncio.get_running_loop().create_task(self._table(stream))
                await asyncio.sleep(self.check_every)
        finally:
            if reading is not None:
                reading[1].cancel()

    async def _stop_reading(self, stream: _Stream, reading: asyncio.Task[None]) -> None:
        """Stop reading a stream: its listing and its shards' readers (their leases expire: nobody takes them)."""
        prefix = f"{stream.name}#"
        tasks = [reading, *(task for key, task in self._shards.items() if key.startswith(prefix))]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for key in [key for key in self._shards if key.startswith(prefix)]:
            del self._shards[key]
        logger.info("relay %s: no longer following %s", self.owner, stream.name)

    async def _table(self, stream: _Stream) -> None:
        table, name = stream.table, stream.name
        physical = table.physical_name(self.dynamo.table_prefix)
        while True:
            try:
                described = await self.dynamo.call("describe_table", TableName=physical)
                stream_arn = described["Table"]["LatestStreamArn"]
                since = await self.leases.since(name)
                break
            except (ClientError, BotoCoreError, OSError, KeyError) as error:
                logger.warning("relay: the %s stream cannot be found yet: %s", table.name, error)
                await asyncio.sleep(1.0)
        while True:
            try:
                shards = await self._list_shards(stream_arn)
                listed = {shard["ShardId"] for shard in shards}
                for shard in shards:
                    key = f"{name}#{shard['ShardId']}"
                    running = self._shards.get(key)
                    if running is not None and not running.done():
                        continue
                    lease = await self.leases.take(name, shard["ShardId"])
                    if lease is None:
                        continue
                    if running is not None or lease.checkpoint is not None:
                        self.stats["takeovers"] += 1
                        logger.info("relay %s: took %s at %s", self.owner, key, lease.checkpoint)
                    parent = shard.get("ParentShardId")
                    self._held[key] = lease
                    self.held.add(key)
                    self._shards[key] = asyncio.get_running_loop().create_task(
                        self._shard(stream_arn, stream, lease, parent if parent in listed else None, since)
                    )
            except (ClientError, BotoCoreError, OSError) as error:
                logger.warning("relay: listing the %s shards failed: %s", table.name, error)
            await asyncio.sleep(self.renew_every)

    async def _list_shards(self, stream_arn: str) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        params: dict[str, Any] = {"StreamArn": stream_arn}
        while True:
            description = (await self.streams("describe_stream", **params))["StreamDescription"]
            shards += description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                return shards
            params["ExclusiveStartShardId"] = last

    async def _shard(self, stream_arn: str, stream: _Stream, lease: Lease, parent: str | None, since: float) -> None:
        try:
            await self._read(stream_arn, stream, lease, parent, since)
        except LeaseLost:
            self.stats["leases_lost"] += 1
            logger.warning("relay %s: lost the lease of %s (another relay holds it)", self.owner, lease.key)
        except (ClientError, BotoCoreError, OSError) as error:
            # The lease table out of reach: the shard is taken again (from its checkpoint) at the next listing.
            logger.warning("relay %s: %s stopped: %s", self.owner, lease.key, error)
        finally:
            self._held.pop(lease.key, None)
            self.held.discard(lease.key)

    async def _read(self, stream_arn: str, stream: _Stream, lease: Lease, parent: str | None, since: float) -> None:
        renewed = time.monotonic()
        while parent is not None and not await self.leases.finished(lease.table, parent):
            await asyncio.sleep(self.renew_every)
            await self.leases.renew(lease)
        # Without a checkpoint: from the beginning. Records written before relays first followed the table are
        # skipped, with a minute's margin: ApproximateCreationDateTime is rounded down (DynamoDB Local: to the
        # minute), and replaying a minute once at the very first start is better than missing a change.
        skip_before = since - SINCE_MARGIN_SECONDS
        iterator: str | None = None
        idle = 0.05
        failures = 0
        while True:
            if time.monotonic() - renewed > self.renew_every:
                await self.leases.renew(lease)
                renewed = time.monotonic()
            try:
                if iterator is None:
                    iterator = await self._iterator(stream_arn, lease)
                response = await self.streams("get_records", ShardIterator=iterator, Limit=1000)
                failures = 0
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                iterator = None
                if code == "ExpiredIteratorException":
                    continue
                if code == "TrimmedDataAccessException":
                    for channel in stream.channels:
                        await self._publish(channel, lease, [bus.gap_message(lease.shard_id)])
                    lease.checkpoint = None
                    continue
                failures += 1
                await self._back_off(failures, lease, error)
                continue
            except (BotoCoreError, OSError) as error:
                iterator = None
                failures += 1
                await self._back_off(failures, lease, error)
                continue
            self.stats["reads"] += 1
            records = response.get("Records", [])
            if records:
                wanted = [record for record in records if written_at(record) >= skip_before]
                published = await self._publish_records(stream, lease, wanted)
                if self.audit is not None:
                    for audited, changes in published.items():
                        await self.audit.write_all(audited, changes)
                self.stats["published"] += sum(len(changes) for changes in published.values())
                LIVE_STREAM_LAG.labels(stream.table.name).set(max(0.0, time.time() - written_at(records[-1])))
                await self.leases.renew(lease, checkpoint=records[-1]["dynamodb"]["SequenceNumber"])
                renewed = time.monotonic()
            iterator = response.get("NextShardIterator")
            if iterator is None:
                await self.leases.renew(lease, finished=True)
                logger.info("relay %s: %s read to its end", self.owner, lease.key)
                return
            if records:
                idle = 0.05
            else:
                await asyncio.sleep(idle)
                idle = min(idle * 2, self.max_idle)

    async def _iterator(self, stream_arn: str, lease: Lease) -> str:
        params: dict[str, Any] = {"StreamArn": stream_arn, "ShardId": lease.shard_id}
        if lease.checkpoint is not None:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=lease.checkpoint)
        else:
            params["ShardIteratorType"] = "TRIM_HORIZON"
        iterator: str = (await self.streams("get_shard_iterator", **params))["ShardIterator"]
        return iterator

    async def _publish_records(self, stream: _Stream, lease: Lease, records: list[Record]) -> dict[str, list[Record]]:
        """Publish the records on their tables' channels (through the shared filter while two streams may carry a
        change); the records published, by table name (what the audit trail records)."""
        scope = lease.key if stream.scoped else lease.shard_id
        routed = [found for record in records if (found := stream.route(record)) is not None]
        published: dict[str, list[Record]] = {}
        if self.filtering:
            messages = [(self._channel(table), bus.record_message(scope, record), record) for table, record in routed]
            firsts = await self._retrying(lease, lambda: publish_first(self.publisher.redis, messages))
            for (table, record), first in zip(routed, firsts, strict=True):
                if first:
                    published.setdefault(table.name, []).append(record)
            self.stats["dropped"] += firsts.count(False)
            return published
        by_table: dict[str, tuple[Table, list[Record]]] = {}
        for table, record in routed:
            by_table.setdefault(table.name, (table, []))[1].append(record)
        for table, changes in by_table.values():
            await self._publish(self._channel(table), lease, [bus.record_message(scope, record) for record in changes])
            published[table.name] = changes
        return published

    async def _publish(self, channel: str, lease: Lease, messages: list[str]) -> None:
        """Publish, retrying while the bus is out of reach; the lease is renewed meanwhile (LeaseLost ends it)."""
        await self._retrying(lease, lambda: self.publisher.publish(channel, messages))

    async def _retrying(self, lease: Lease, publish: Callable[[], Awaitable[T]]) -> T:
        failures = 0
        while True:
            try:
                return await publish()
            except (RedisError, OSError) as error:
                failures += 1
                await self._back_off(failures, lease, error)
                await self.leases.renew(lease)

    async def _back_off(self, failures: int, lease: Lease, error: Exception) -> None:
        delay = min(5.0, 0.05 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter)
        if failures == 1 or failures % 10 == 0:
            logger.warning("relay %s: %s: %s; retrying in %.2f s", self.owner, lease.key, error, delay)
        await asyncio.sleep(delay)
