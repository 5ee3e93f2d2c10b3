"""An ended subscription leaves no asyncio task behind (issue 25, found while measuring).

`Subscriber.changes()` used to start a getter and a waiter per wait and cancel neither when the
subscription ended mid-wait: two pending tasks per ended subscription, each logged as "Task was destroyed
but it is pending!" once collected.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from dataclasses import dataclass
from typing import Any

import pytest

from graphql_api.entity import Entity
from graphql_api.live.hub import Hub, Subscriber


@dataclass(frozen=True)
class Thing:
    thing_id: str
    count: int


THINGS = Entity(Thing, "Things", key=("thing_id",), stream="NEW_AND_OLD_IMAGES")
SUBSCRIPTIONS = 300


def record(count: int) -> dict[str, Any]:
    return {
        "dynamodb": {
            "NewImage": {"ThingId": {"S": "t1"}, "Count": {"N": str(count)}},
            "ApproximateCreationDateTime": 1764460800,
        }
    }


async def churn() -> tuple[int, int, list[Subscriber[Thing]]]:
    """Subscriptions that each get one change, then end while waiting for the next (as a client's `complete`)."""
    reader = asyncio.get_running_loop().create_task(asyncio.sleep(3600))

    def start_reader(feed: Any) -> asyncio.Task[None]:
        feed.ready.set()
        return reader

    hub = Hub(start_reader, queue_size=10)
    kept: list[Subscriber[Thing]] = []  # held, so that nothing they started can be collected before counting
    before = len(asyncio.all_tasks())

    async def subscription(started: asyncio.Event) -> None:
        async with hub.subscribe(THINGS, lambda change: True) as subscriber:
            kept.append(subscriber)
            started.set()
            async for _ in subscriber.changes():
                pass

    for count in range(SUBSCRIPTIONS):
        started = asyncio.Event()
        task = asyncio.get_running_loop().create_task(subscription(started))
        await started.wait()
        hub.feed(THINGS).publish(record(count))
        for _ in range(3):
            await asyncio.sleep(0)  # it takes the change and waits for the next
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    after = len(asyncio.all_tasks())
    await hub.close()
    return before, after, kept


def test_ended_subscriptions_leave_no_pending_task(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    before, after, kept = asyncio.run(churn())
    assert all(subscriber.delivered == 1 for subscriber in kept)
    assert after == before, f"{after - before} tasks left pending by {SUBSCRIPTIONS} ended subscriptions"
    del kept
    gc.collect()
    destroyed = [entry for entry in caplog.records if "Task was destroyed" in entry.getMessage()]
    assert destroyed == []
