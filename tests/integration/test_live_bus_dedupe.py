"""The bus's shared filter (graphql_api.live.bus_dedupe) decides as the instances' filter does
(graphql_api.live.dedupe.SeenChanges), on a real redis-server: the two streams' copies of an item's history,
interleaved every way a lagging stream can, are each published once, in order, and what is published reaches the
channel."""

from __future__ import annotations

import asyncio
import itertools
import json
import random
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from graphql_api.dynamo.serialization import serialize_item
from graphql_api.live import bus
from graphql_api.live.bus_dedupe import publish_first
from graphql_api.live.dedupe import SeenChanges
from tests.support.redis_server import running_redis

CHANNEL = "live:t-Orders"


def change(old: dict[str, Any] | None, new: dict[str, Any] | None, stream: str) -> dict[str, Any]:
    """A record of one stream (`old` or `single`, translated: the same images), sequence numbers of its own."""
    images: dict[str, Any] = {"Keys": serialize_item({"OrderId": "ord_1"}), "SequenceNumber": stream}
    for side, image in (("OldImage", old), ("NewImage", new)):
        if image is not None:
            images[side] = serialize_item({"OrderId": "ord_1", **image})
    return {"dynamodb": images}


HISTORY = [  # created, rewritten as it is (replication's replay), changed twice
    (None, {"Version": 1, "Status": "PENDING"}),
    ({"Version": 1, "Status": "PENDING"}, {"Version": 1, "Status": "PENDING"}),
    ({"Version": 1, "Status": "PENDING"}, {"Version": 2, "Status": "SHIPPED"}),
    ({"Version": 2, "Status": "SHIPPED"}, {"Version": 3, "Status": "CANCELLED"}),
]
"""Without a removal: a whole history of one stream ahead of the other's would make the lagging copy of the item's
creation after its removal a new history (as for the instances' filter; the copies come moments apart)."""


def interleavings(count: int) -> Iterator[list[dict[str, Any]]]:
    """Both streams' copies of HISTORY, each stream in order, merged in `count` random ways (and the two plain)."""
    old = [change(*step, stream="1") for step in HISTORY]
    single = [change(*step, stream="2") for step in HISTORY]
    yield old + single
    yield single + old
    chooser = random.Random(7)
    for _ in range(count):
        picks = [0] * len(old) + [1] * len(single)
        chooser.shuffle(picks)
        streams = [iter(old), iter(single)]
        yield [next(streams[pick]) for pick in picks]


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as server:
        yield server.url


def test_the_shared_filter_decides_as_the_instances_filter(redis_url: str) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        try:
            for number, records in enumerate(interleavings(30)):
                channel = f"{CHANNEL}-{number}"  # a history of its own: nothing remembered from another
                messages = [(channel, bus.record_message("s", record), record) for record in records]
                # One record per round trip (as two relays would send them) and all in one: the same decisions.
                split = list(itertools.chain.from_iterable([await publish_first(client, [m]) for m in messages]))
                seen = SeenChanges()
                assert split == [seen.first(record) for record in records], records
                assert split.count(True) == len(HISTORY) - 1  # every change once; the rewrite is none
                again = await publish_first(client, messages)
                assert again == [False] * len(messages)  # a relay's republish after a failover
            removal = ({"Version": 3, "Status": "CANCELLED"}, None)
            removals = [change(*removal, stream=stream) for stream in ("1", "2")]
            assert await publish_first(client, [(f"{CHANNEL}-removed", "m", r) for r in removals]) == [True, False]
        finally:
            await client.aclose()

    asyncio.run(run())


def test_what_the_filter_lets_through_is_published_in_order(redis_url: str) -> None:
    async def run() -> None:
        client = aioredis.Redis.from_url(redis_url)
        pubsub = client.pubsub()
        try:
            await pubsub.subscribe(CHANNEL)
            while await pubsub.get_message(timeout=5.0) is None:  # SUBSCRIBE's confirmation
                pass
            records = next(interleavings(0))
            firsts = await publish_first(client, [(CHANNEL, bus.record_message("s", r), r) for r in records])
            received: list[dict[str, Any]] = []
            while len(received) < firsts.count(True):
                message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30.0)
                assert message is not None, f"only {len(received)} of {firsts.count(True)} published"
                received.append(json.loads(message["data"])["record"]["dynamodb"])
            expected = [record["dynamodb"] for record, first in zip(records, firsts, strict=True) if first]
            assert received == [{k: v for k, v in images.items() if k != "eventName"} for images in expected]
        finally:
            await pubsub.aclose()
            await client.aclose()

    asyncio.run(run())
