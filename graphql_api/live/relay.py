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
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from redis.exceptions import RedisError

from graphql_api.dynamo.client import Dynamo
from graphql_api.live import bus
from graphql_api.live.audit import AuditTrail
from graphql_api.live.leases import Lease, LeaseLost, Leases
from graphql_api.live.streams import Record, StreamsCall
from graphql_api.metrics import LIVE_STREAM_LAG
from graphql_api.tables import Table

logger = logging.getLogger(__name__)

SINCE_MARGIN_SECONDS = 60.0


def relay_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


def written_at(record: Record) -> float:
    written = record["dynamodb"].get("ApproximateCreationDateTime")
    return written.timestamp() if isinstance(written, datetime) else float(written or 0)


async def publish_batch(publisher: bus.Publisher, channel: str, shard_id: str, records: Sequence[Record]) -> None:
    """Publish a batch of one shard's records, in order (RedisError if the bus is out of reach)."""
    await publisher.publish(channel, [bus.record_message(shard_id, record) for record in records])


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
        self.stats: Counter[str] = Counter()
        """Records published, stream reads, takeovers and leases lost, for a look from a debugger or a test."""
        self.held: set[str] = set()
        """The keys of the shard leases this relay holds."""
        self._shards: dict[str, asyncio.Task[None]] = {}
        self._held: dict[str, Lease] = {}

    async def run(self) -> None:
        """Follow every table until cancelled; leases held are released on the way out."""
        try:
            await asyncio.gather(*(self._table(table) for table in self.tables))
        finally:
            for task in self._shards.values():
                task.cancel()
            await asyncio.gather(*self._shards.values(), return_exceptions=True)
            for lease in list(self._held.values()):
                try:
                    await self.leases.release(lease)
                except (ClientError, BotoCoreError, OSError) as error:
                    logger.warning("relay: could not release %s: %s", lease.key, error)

    async def _table(self, table: Table) -> None:
        physical = table.physical_name(self.dynamo.table_prefix)
        channel = bus.channel(physical)
        while True:
            try:
                described = await self.dynamo.call("describe_table", TableName=physical)
                stream_arn = described["Table"]["LatestStreamArn"]
                since = await self.leases.since(table.name)
                break
            except (ClientError, BotoCoreError, OSError, KeyError) as error:
                logger.warning("relay: the %s stream cannot be found yet: %s", table.name, error)
                await asyncio.sleep(1.0)
        while True:
            try:
                shards = await self._list_shards(stream_arn)
                listed = {shard["ShardId"] for shard in shards}
                for shard in shards:
                    key = f"{table.name}#{shard['ShardId']}"
                    running = self._shards.get(key)
                    if running is not None and not running.done():
                        continue
                    lease = await self.leases.take(table.name, shard["ShardId"])
                    if lease is None:
                        continue
                    if running is not None or lease.checkpoint is not None:
                        self.stats["takeovers"] += 1
                        logger.info("relay %s: took %s at %s", self.owner, key, lease.checkpoint)
                    parent = shard.get("ParentShardId")
                    self._held[key] = lease
                    self.held.add(key)
                    self._shards[key] = asyncio.get_running_loop().create_task(
                        self._shard(stream_arn, channel, lease, parent if parent in listed else None, since)
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

    async def _shard(self, stream_arn: str, channel: str, lease: Lease, parent: str | None, since: float) -> None:
        try:
            await self._read(stream_arn, channel, lease, parent, since)
        except LeaseLost:
            self.stats["leases_lost"] += 1
            logger.warning("relay %s: lost the lease of %s (another relay holds it)", self.owner, lease.key)
        except (ClientError, BotoCoreError, OSError) as error:
            # The lease table out of reach: the shard is taken again (from its checkpoint) at the next listing.
            logger.warning("relay %s: %s stopped: %s", self.owner, lease.key, error)
        finally:
            self._held.pop(lease.key, None)
            self.held.discard(lease.key)

    async def _read(self, stream_arn: str, channel: str, lease: Lease, parent: str | None, since: float) -> None:
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
                await self._publish(channel, lease, [bus.record_message(lease.shard_id, record) for record in wanted])
                if self.audit is not None:
                    await self.audit.write_all(lease.table, wanted)
                self.stats["published"] += len(wanted)
                LIVE_STREAM_LAG.labels(lease.table).set(max(0.0, time.time() - written_at(records[-1])))
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

    async def _publish(self, channel: str, lease: Lease, messages: list[str]) -> None:
        """Publish, retrying while the bus is out of reach; the lease is renewed meanwhile (LeaseLost ends it)."""
        failures = 0
        while True:
            try:
                await self.publisher.publish(channel, messages)
                return
            except (RedisError, OSError) as error:
                failures += 1
                await self._back_off(failures, lease, error)
                await self.leases.renew(lease)

    async def _back_off(self, failures: int, lease: Lease, error: Exception) -> None:
        delay = min(5.0, 0.05 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter)
        if failures == 1 or failures % 10 == 0:
            logger.warning("relay %s: %s: %s; retrying in %.2f s", self.owner, lease.key, error, delay)
        await asyncio.sleep(delay)
