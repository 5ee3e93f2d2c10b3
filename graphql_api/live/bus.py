"""The live-updates bus (LIVE_BUS=redis://...): stream records relayed to every instance over Redis pub/sub.

One channel per table, `live:<physical table name>`. A relay (graphql_api.live.relay, or the Lambda
stream consumer) publishes each stream record as JSON with its shard and sequence number, the item
images as the stream gave them (decoded by each instance through the entity's own mapping, as in the
in-process mode: docs/decisions/0007-bus-carries-images.md says why images rather than keys), or a gap
notice when the stream no longer held records the relay had not read.

Each instance subscribes to the channels of the tables its subscribers follow (`follow`). A failover can
publish a record twice (the new relay resumes after the last checkpoint, the old one may have published
past it), so an instance drops a record whose sequence number is not above the last it delivered from
that shard (`Delivered`): each subscriber gets each change once, in order per item (an item's changes
are in one shard, and a child shard is read only once its parent is finished). Pub/sub keeps nothing
for a subscriber that is away, so when the connection to Redis is lost every subscriber of the table is
closed with UNAVAILABLE ("changes may have been missed") rather than left silently stale; subscriptions
made after it is back work again.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import logging
import random
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from graphql_api.live.streams import Record

logger = logging.getLogger(__name__)

BUS_LOST = "changes may have been missed (the live-updates bus was out of reach): subscribe again"
GAP = "changes may have been missed (the stream was out of reach too long): subscribe again"


def channel(physical_table: str) -> str:
    return f"live:{physical_table}"


def _json_default(value: object) -> object:
    if isinstance(value, datetime):
        return value.timestamp()
    if isinstance(value, bytes):  # a binary attribute (B, BS): base64, as DynamoDB's JSON has it
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot publish a {type(value).__name__}")


def record_message(shard_id: str, record: Record) -> str:
    """A stream record as published: its shard, its sequence number and its images (and nothing else)."""
    images = record["dynamodb"]
    kept = {
        name: images[name]
        for name in ("Keys", "OldImage", "NewImage", "ApproximateCreationDateTime", "SequenceNumber")
        if name in images
    }
    return json.dumps(
        {"shard": shard_id, "seq": images["SequenceNumber"], "record": {"dynamodb": kept}}, default=_json_default
    )


def gap_message(shard_id: str) -> str:
    return json.dumps({"shard": shard_id, "gap": True})


class Delivered:
    """The last sequence number delivered per order scope (a shard from a relay, an item from the Lambda consumer):
    what a republish after a failover or a retried batch repeats. Bounded: the scopes least recently seen are
    forgotten past `limit` (a repeat comes seconds after the original, not after `limit` other items)."""

    def __init__(self, limit: int = 100_000) -> None:
        self._last: OrderedDict[str, int] = OrderedDict()
        self.limit = limit

    def fresh(self, scope: str, sequence: str) -> bool:
        number = int(sequence)
        last = self._last.get(scope)
        if last is not None and number <= last:
            return False
        self._last[scope] = number
        self._last.move_to_end(scope)
        if len(self._last) > self.limit:
            self._last.popitem(last=False)
        return True


class Publisher:
    """Publishes a relay's records; several messages of one batch go in one round trip, in order."""

    def __init__(self, url: str) -> None:
        self.redis = aioredis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)

    async def publish(self, channel_name: str, messages: list[str]) -> None:
        if not messages:
            return
        async with self.redis.pipeline(transaction=False) as pipe:
            for message in messages:
                pipe.publish(channel_name, message)
            await pipe.execute()

    async def close(self) -> None:
        await self.redis.aclose()


async def follow(
    url: str,
    channel_name: str,
    deliver: Callable[[Record], None],
    lost: Callable[[str], None],
    ready: asyncio.Event,
    *,
    health_check_interval: float = 2.0,
    max_backoff: float = 5.0,
) -> None:
    """Deliver the channel's fresh records until cancelled; `ready` is set while subscribed.

    On losing Redis: `ready` is cleared, `lost` is called (the subscribers are closed), and the
    connection is made again with backoff. `deliver` gets each record once, in order per shard.
    """
    delivered = Delivered()
    failures = 0
    while True:
        client = aioredis.Redis.from_url(url, socket_connect_timeout=5.0, health_check_interval=health_check_interval)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(channel_name)
            # SUBSCRIBE's confirmation: from here on nothing published is missed.
            while (await pubsub.get_message(ignore_subscribe_messages=False, timeout=5.0)) is None:
                pass
            ready.set()
            failures = 0
            while True:
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=health_check_interval)
                if message is None or message.get("type") != "message":
                    continue
                _dispatch(json.loads(message["data"]), delivered, deliver, lost)
        except (RedisError, OSError) as error:
            if ready.is_set():
                logger.warning("live updates: the bus %s was lost: %s", channel_name, error)
            ready.clear()
            lost(BUS_LOST)
            failures += 1
        finally:
            await _quietly(pubsub.aclose())
            await _quietly(client.aclose())
        await asyncio.sleep(min(max_backoff, 0.1 * 2**failures) * random.uniform(0.5, 1.0))  # noqa: S311 (jitter)


def _dispatch(
    message: dict[str, Any], delivered: Delivered, deliver: Callable[[Record], None], lost: Callable[[str], None]
) -> None:
    if message.get("gap"):
        lost(GAP)
        return
    if delivered.fresh(message["shard"], message["seq"]):
        deliver(message["record"])


async def _quietly(closing: Awaitable[Any]) -> None:
    with contextlib.suppress(RedisError, OSError):
        await closing
