"""The hub's bounded fan-out: a subscriber that falls behind is closed, the others get every change."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import pytest

from graphql_api.entity import Entity
from graphql_api.live.hub import Hub, SubscriberTooSlow


@dataclass(frozen=True)
class Thing:
    thing_id: str
    count: int


THINGS = Entity(Thing, "Things", key=("thing_id",), stream="NEW_AND_OLD_IMAGES")


def stream_record(count: int) -> dict[str, Any]:
    return {
        "dynamodb": {
            "NewImage": {"ThingId": {"S": "t1"}, "Count": {"N": str(count)}},
            "ApproximateCreationDateTime": 1764460800,
        }
    }


def test_a_slow_subscriber_is_closed_and_the_others_get_every_change() -> None:
    async def run() -> tuple[list[int], int]:
        started: list[asyncio.Task[None]] = []

        def start_reader(feed: Any) -> asyncio.Task[None]:
            feed.ready.set()
            task = asyncio.get_running_loop().create_task(asyncio.sleep(3600))
            started.append(task)
            return task

        hub = Hub(start_reader, queue_size=10)
        received: list[int] = []
        async with (
            hub.subscribe(THINGS, lambda change: True) as fast,
            hub.subscribe(THINGS, lambda change: True) as slow,
        ):
            feed = hub.feed(THINGS)

            async def read_fast() -> None:
                async for change in fast.changes():
                    assert change.new is not None
                    received.append(change.new.count)
                    if len(received) == 50:
                        return

            reader = asyncio.get_running_loop().create_task(read_fast())
            for count in range(50):
                feed.publish(stream_record(count))
                await asyncio.sleep(0)  # the fast one keeps up; the slow one never reads
            await asyncio.wait_for(reader, 2)
            with pytest.raises(SubscriberTooSlow):
                async for _ in slow.changes():
                    pass
            held = slow.queue.qsize()
        await hub.close()
        return received, held

    received, held = asyncio.run(run())
    assert received == list(range(50))
    assert held == 10  # never more than its queue: memory stays bounded


def test_a_subscription_is_refused_when_the_stream_cannot_be_read() -> None:
    async def run() -> None:
        hub = Hub(lambda feed: asyncio.get_running_loop().create_task(asyncio.sleep(3600)), queue_size=10)
        with pytest.raises(Exception, match="live updates are not available"):
            async with hub.subscribe(THINGS, lambda change: True, ready_within=0.05):
                pass
        await hub.close()

    asyncio.run(run())


def test_lost_changes_close_every_subscriber_of_the_table_with_an_error() -> None:
    async def run() -> str:
        def start_reader(feed: Any) -> asyncio.Task[None]:
            feed.ready.set()
            return asyncio.get_running_loop().create_task(asyncio.sleep(3600))

        hub = Hub(start_reader, queue_size=10)
        async with hub.subscribe(THINGS, lambda change: True) as subscriber:

            async def read() -> None:
                async for _ in subscriber.changes():
                    pass

            reader = asyncio.get_running_loop().create_task(read())
            await asyncio.sleep(0.01)  # waiting for a change
            hub.feed(THINGS).lost_changes("shard-1")
            with pytest.raises(Exception, match="changes may have been missed") as raised:
                await asyncio.wait_for(reader, 1)
        await hub.close()
        return type(raised.value).__name__

    assert asyncio.run(run()) == "Unavailable"
