"""Following a table's DynamoDB stream: every shard, through splits and closings, each record handed on in order.

One `StreamReader` per table and per process. It lists the stream's shards (DescribeStream) and reads
each with GetRecords, in sequence-number order:

- at start, the open shards from LATEST (a subscription shows changes from now on; the past is in the
  table); shards that appear later (a split, or the periodic rollover that closes every shard after
  about four hours) from TRIM_HORIZON, and only once their parent shard is read to its end, so the
  changes of one item stay in write order across a split;
- an empty read backs off (`idle_delays`, up to `max_idle`), a read with records goes again at once;
- a throttled read (LimitExceededException, ProvisionedThroughputExceeded) or an unreachable endpoint
  backs off exponentially (up to `max_backoff`) and retries; an expired iterator is renewed;
- after any failure the shard continues AFTER the last sequence number handed on, so nothing is lost
  or repeated as long as the stream still holds it (24 hours). Only if the stream no longer holds it
  (TrimmedDataAccessException) does the shard restart from its oldest record and `on_gap` is called,
  so that subscribers can be told that events were lost.

DynamoDB Streams allows about two concurrent readers per shard: every instance of the service runs
its own readers (see docs/running-at-scale.md for what to do beyond two instances).
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

logger = logging.getLogger(__name__)

Record = dict[str, Any]
Deliver = Callable[[Record], Awaitable[None]]
StreamsCall = Callable[..., Awaitable[dict[str, Any]]]
"""`await call("get_records", ShardIterator=...)`: one DynamoDB Streams operation."""

_THROTTLED = {"LimitExceededException", "ProvisionedThroughputExceededException", "ThrottlingException"}


@dataclass
class ShardProgress:
    shard_id: str
    parent_id: str | None
    last_sequence: str | None = None
    finished: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once the shard is read to its end (or was closed before we started): its children may start."""


@dataclass
class StreamReader:
    call: StreamsCall
    stream_arn: str
    deliver: Deliver
    on_gap: Callable[[str], Awaitable[None]] | None = None
    min_idle: float = 0.05
    max_idle: float = 0.5
    max_backoff: float = 5.0
    rediscover_every: float = 5.0
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    """Set once every shard open at start has its iterator: from then on no new record is missed."""
    stats: Counter[str] = field(default_factory=Counter)
    """What the reader did (records, reads, throttles, failures, shards_followed, gaps): for a debugger or a test."""
    _awaiting_iterators: set[str] = field(default_factory=set)
    _shards: dict[str, ShardProgress] = field(default_factory=dict)
    _tasks: dict[str, asyncio.Task[None]] = field(default_factory=dict)
    _started: bool = False

    async def run(self) -> None:
        """Follow the stream until cancelled."""
        try:
            while True:
                try:
                    await self._discover()
                except (ClientError, BotoCoreError, OSError) as error:
                    self.stats["failures"] += 1
                    logger.warning("stream %s: listing shards failed: %s", self.stream_arn, error)
                await asyncio.sleep(self.rediscover_every)
        finally:
            for task in self._tasks.values():
                task.cancel()
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)

    async def _discover(self) -> None:
        shards: list[dict[str, Any]] = []
        params: dict[str, Any] = {"StreamArn": self.stream_arn}
        while True:
            description = (await self.call("describe_stream", **params))["StreamDescription"]
            shards += description.get("Shards", [])
            last = description.get("LastEvaluatedShardId")
            if not last:
                break
            params["ExclusiveStartShardId"] = last
        first_listing = not self._started
        for shard in shards:
            shard_id = shard["ShardId"]
            if shard_id in self._shards:
                continue
            closed = "EndingSequenceNumber" in shard.get("SequenceNumberRange", {})
            progress = ShardProgress(shard_id, shard.get("ParentShardId"))
            self._shards[shard_id] = progress
            if first_listing and closed:
                progress.finished.set()  # history from before we started: the table holds its outcome
                continue
            # Open shards at start: from now on. Later shards (splits, rollovers): from their beginning.
            start = "LATEST" if first_listing else "TRIM_HORIZON"
            if first_listing:
                self._awaiting_iterators.add(shard_id)
            self._tasks[shard_id] = asyncio.get_running_loop().create_task(self._follow(progress, start))
            self.stats["shards_followed"] += 1
        if first_listing:
            self._started = True
            if not self._awaiting_iterators:
                self.ready.set()

    async def _parent_done(self, progress: ShardProgress) -> None:
        """A child shard waits until its parent is read to its end: per-item order across a split."""
        parent = self._shards.get(progress.parent_id) if progress.parent_id else None
        if parent is not None:
            await parent.finished.wait()

    async def _iterator(self, progress: ShardProgress, start: str) -> str:
        params: dict[str, Any] = {"StreamArn": self.stream_arn, "ShardId": progress.shard_id}
        if progress.last_sequence is not None:
            params.update(ShardIteratorType="AFTER_SEQUENCE_NUMBER", SequenceNumber=progress.last_sequence)
        else:
            params["ShardIteratorType"] = start
        iterator: str = (await self.call("get_shard_iterator", **params))["ShardIterator"]
        return iterator

    async def _follow(self, progress: ShardProgress, start: str) -> None:
        await self._parent_done(progress)
        iterator: str | None = None
        idle = self.min_idle
        failures = 0
        while True:
            try:
                if iterator is None:
                    iterator = await self._iterator(progress, start)
                    self._awaiting_iterators.discard(progress.shard_id)
                    if self._started and not self._awaiting_iterators:
                        self.ready.set()
                response = await self.call("get_records", ShardIterator=iterator, Limit=1000)
                failures = 0
            except ClientError as error:
                code = error.response.get("Error", {}).get("Code", "")
                if code == "ExpiredIteratorException":
                    iterator = None  # renewed after the last record handed on
                    continue
                if code == "TrimmedDataAccessException":
                    progress.last_sequence, iterator, start = None, None, "TRIM_HORIZON"
                    self.stats["gaps"] += 1
                    if self.on_gap:
                        await self.on_gap(progress.shard_id)
                    continue
                if code == "ResourceNotFoundException" and progress.last_sequence is None and start == "LATEST":
                    progress.finished.set()  # the shard is gone (stream disabled or rolled over long ago)
                    return
                self.stats["throttles"] += code in _THROTTLED
                failures += 1
                await self._back_off(failures, progress, error)
                iterator = None
                continue
            except (BotoCoreError, OSError) as error:
                self.stats["failures"] += 1
                failures += 1
                await self._back_off(failures, progress, error)
                iterator = None
                continue
            self.stats["reads"] += 1
            records = response.get("Records", [])
            for record in records:
                await self.deliver(record)
                progress.last_sequence = record["dynamodb"]["SequenceNumber"]
                self.stats["records"] += 1
            iterator = response.get("NextShardIterator")
            if iterator is None:
                progress.finished.set()  # read to its end: its children may start
                return
            if records:
                idle = self.min_idle
            else:
                await asyncio.sleep(idle)
                idle = min(idle * 2, self.max_idle)

    async def _back_off(self, failures: int, progress: ShardProgress, error: Exception) -> None:
        delay = min(self.max_backoff, self.min_idle * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter)
        if failures == 1 or failures % 10 == 0:
            logger.warning("stream shard %s: %s; retrying in %.2f s", progress.shard_id, error, delay)
        await asyncio.sleep(delay)
