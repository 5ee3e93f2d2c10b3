"""An instance's hub on the bus (LIVE_BUS) across a Redis outage, in process, with a real redis-server.

Subscribers are closed with UNAVAILABLE ("changes may have been missed") when Redis goes away; once it is
back, new subscriptions get changes again; and nothing is left behind: after every subscription has ended,
the process runs the same asyncio tasks as before the outage (the feed's one bus reader) and none was
destroyed while pending.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import time
from contextlib import aclosing
from typing import Any

import pytest

from graphql_api.errors import Unavailable
from graphql_api.live import bus
from graphql_api.live.hub import Subscriber
from graphql_api.live.service import LiveUpdates
from graphql_api.repositories.products import PRODUCTS, Product
from graphql_api.settings import Settings
from tests.support.live_bus import RedisServer

pytestmark = pytest.mark.one_backend  # no DynamoDB: Redis and the hub only

SUBSCRIPTIONS = 50
PREFIX = "reconnect-"


def message(sequence: int) -> str:
    item = {
        "ProductId": {"S": "P-1"},
        "Name": {"S": "Reconnected"},
        "Category": {"S": "live"},
        "Price": {"N": "100"},
        "Currency": {"S": "EUR"},
        "Stock": {"N": str(sequence)},
        "CreatedAt": {"S": "2026-12-05T00:00:00Z"},
        "UpdatedAt": {"S": "2026-12-05T00:00:00Z"},
        "Version": {"N": "1"},
    }
    record = {"dynamodb": {"NewImage": item, "SequenceNumber": str(sequence), "ApproximateCreationDateTime": 0.0}}
    return bus.record_message("shard-1", record)


async def ended_by(subscriber: Subscriber[Product]) -> str:
    try:
        async for _ in subscriber.changes():
            pass
    except Unavailable as error:
        return str(error)
    return "ended"


async def outage(redis: RedisServer) -> dict[str, Any]:
    live = LiveUpdates(Settings(live_bus=redis.url, table_prefix=PREFIX))
    channel = bus.channel(PRODUCTS.table.physical_name(PREFIX))
    publisher = bus.Publisher(redis.url)
    async with live.hub.subscribe(PRODUCTS, lambda change: True):  # starts the feed's reader
        pass
    await asyncio.sleep(0)
    before = len(asyncio.all_tasks())

    async def subscription(started: asyncio.Event) -> str:
        async with live.hub.subscribe(PRODUCTS, lambda change: True) as subscriber:
            started.set()
            return await ended_by(subscriber)

    starts = [asyncio.Event() for _ in range(SUBSCRIPTIONS)]
    running = [asyncio.ensure_future(subscription(started)) for started in starts]
    for started in starts:
        await asyncio.wait_for(started.wait(), 30)
    await asyncio.to_thread(redis.stop)
    reasons = await asyncio.wait_for(asyncio.gather(*running), 30)
    await asyncio.to_thread(redis.start)

    deadline = time.monotonic() + 60
    stock = None
    while stock is None:  # the reader reconnects with backoff; a subscription made before that is refused
        assert time.monotonic() < deadline, "no subscription worked again after Redis came back"
        try:
            async with live.hub.subscribe(PRODUCTS, lambda change: True) as subscriber:
                await publisher.publish(channel, [message(7)])
                async with aclosing(subscriber.changes()) as changes:
                    async for change in changes:
                        stock = change.new.stock if change.new else None
                        break
        except Unavailable:
            await asyncio.sleep(0.2)
    await asyncio.sleep(0)
    after = len(asyncio.all_tasks())
    await publisher.close()
    await live.close()
    return {"reasons": reasons, "stock": stock, "before": before, "after": after}


def test_an_outage_closes_subscribers_new_ones_work_after_and_no_task_is_left(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.ERROR, logger="asyncio")
    redis = RedisServer()
    redis.start()
    try:
        outcome = asyncio.run(outage(redis))
    finally:
        redis.stop()
    assert outcome["reasons"] == [bus.BUS_LOST] * SUBSCRIPTIONS
    assert outcome["stock"] == 7
    assert outcome["after"] == outcome["before"], "tasks left behind by the outage and its subscriptions"
    gc.collect()
    assert [entry for entry in caplog.records if "Task was destroyed" in entry.getMessage()] == []
