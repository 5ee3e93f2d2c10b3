"""The Lambda stream consumer (graphql_api.aws_lambda_stream, graphql_api.live.consumer) with a real Redis.

Lambda-shaped DynamoDB stream events go through the handler onto redis-server, and an instance's hub
(LiveUpdates with LIVE_BUS) decodes them into Products for its subscriber: every change once and in
order, a retried batch (whole, or a bisected half) delivered nothing twice, and Redis out of reach makes
the handler fail (so Lambda retries the batch) rather than acknowledge records the bus never carried.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from redis.exceptions import RedisError

from graphql_api import aws_lambda_stream
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.live.hub import Change
from graphql_api.live.service import LiveUpdates
from graphql_api.ops.seed import make_product
from graphql_api.repositories.products import PRODUCTS, Product
from graphql_api.settings import Settings
from tests.support.live_bus import RedisServer

pytestmark = pytest.mark.one_backend  # no DynamoDB: Redis and the handler only

PREFIX = "consumer-"
ARN = f"arn:aws:dynamodb:eu-west-1:123456789012:table/{PREFIX}Products/stream/2026-12-05T00:00:00.000"


@pytest.fixture(scope="module")
def redis() -> Iterator[RedisServer]:
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()


def event(product: Product, stocks: list[int], first_sequence: int) -> dict[str, Any]:
    """A DynamoDB stream event as Lambda delivers it: one MODIFY record per stock, sequence numbers rising."""
    records = []
    previous = product
    for offset, stock in enumerate(stocks):
        changed = replace(previous, stock=stock)
        records.append(
            {
                "eventID": f"e{first_sequence + offset}",
                "eventName": "MODIFY",
                "eventSource": "aws:dynamodb",
                "eventSourceARN": ARN,
                "dynamodb": {
                    "ApproximateCreationDateTime": 1796472000.0,
                    "Keys": {"ProductId": {"S": product.product_id}},
                    "OldImage": serialize_item(PRODUCTS.to_item(previous)),
                    "NewImage": serialize_item(PRODUCTS.to_item(changed)),
                    "SequenceNumber": f"{first_sequence + offset:021d}",
                    "SizeBytes": 300,
                    "StreamViewType": "NEW_AND_OLD_IMAGES",
                },
            }
        )
        previous = changed
    return {"Records": records}


def test_batches_and_their_retries_reach_a_subscriber_once_in_order(
    redis: RedisServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LIVE_BUS", redis.url)
    monkeypatch.setattr(aws_lambda_stream, "_consumer", None)
    product = make_product(random.Random(3), "live", "Consumed", datetime(2026, 12, 5, tzinfo=UTC))
    first, second = event(product, [1, 2, 3, 4], 100), event(product, [5, 6], 104)

    async def run() -> list[int]:
        live = LiveUpdates(Settings(live_bus=redis.url, table_prefix=PREFIX))
        received: list[int] = []
        async with live.hub.subscribe(PRODUCTS, lambda change: True) as subscriber:

            async def read() -> None:
                change: Change[Product]
                async for change in subscriber.changes():
                    assert change.new is not None
                    received.append(change.new.stock)
                    if change.new.stock == 6:
                        return

            reader = asyncio.ensure_future(read())
            # The handler is synchronous (it runs its own loop), as Lambda calls it: from a thread here.
            for batch in (first, first, {"Records": first["Records"][2:]}, second):  # a retry, a bisected half
                assert (await asyncio.to_thread(aws_lambda_stream.handler, batch, None))["published"] > 0
            await asyncio.wait_for(reader, 30)
        await live.close()
        return received

    assert asyncio.run(run()) == [1, 2, 3, 4, 5, 6]


def test_the_handler_fails_while_redis_is_out_of_reach(redis: RedisServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LIVE_BUS", redis.url)
    monkeypatch.setattr(aws_lambda_stream, "_consumer", None)
    product = make_product(random.Random(4), "live", "Unrelayed", datetime(2026, 12, 5, tzinfo=UTC))
    redis.stop()
    try:
        with pytest.raises((RedisError, OSError)):
            aws_lambda_stream.handler(event(product, [1], 200), None)
    finally:
        redis.start()
    assert aws_lambda_stream.handler(event(product, [2], 201), None) == {"published": 1}
