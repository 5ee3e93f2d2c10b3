"""The Lambda stream consumer across the single-table migration (LIVE_SINGLE_TABLE), with a real Redis and the
phase read from DynamoDB Local: Lambda-shaped events of the Orders table's stream and of the single table's reach
the Orders channel as the Orders table's records, each change once (graphql_api.live.consumer); before the reads
phase the single table's records (twins, the backfill's copies) are not published at all."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio as aioredis

from graphql_api.aws_lambda_stream import StreamConsumer
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.live import bus
from graphql_api.migration.phase import MIGRATION
from graphql_api.ops.single_table import Layout
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.orders import ORDERS
from graphql_api.settings import Settings
from tests.support import fresh_settings, run_with_dynamo
from tests.support.redis_server import running_redis
from tests.support.single_table import move_to

pytestmark = pytest.mark.one_backend  # DynamoDB for the phase only: the consumer's logic is above it

ORDER = {"OrderId": "ord_1", "CustomerId": "cus_1", "Status": "PENDING", "OrderDate": "2026-01-01T00:00:00Z"}


def arn(settings: Settings, table: str) -> str:
    return f"arn:aws:dynamodb:eu-west-1:123456789012:table/{settings.table_prefix}{table}/stream/2026-12-05"


def lambda_record(source: str, keys: dict[str, Any], old: Any, new: Any, sequence: int) -> dict[str, Any]:
    images: dict[str, Any] = {"Keys": serialize_item(keys), "SequenceNumber": str(sequence)}
    images.update({side: serialize_item(image) for side, image in (("OldImage", old), ("NewImage", new)) if image})
    return {"eventName": "MODIFY", "eventSourceARN": source, "dynamodb": images}


def orders_event(settings: Settings, old: Any, new: Any, sequence: int) -> dict[str, Any]:
    return {"Records": [lambda_record(arn(settings, "Orders"), {"OrderId": "ord_1"}, old, new, sequence)]}


def single_event(settings: Settings, old: Any, new: Any, sequence: int) -> dict[str, Any]:
    layout = Layout()
    old_single, new_single = (image and layout.to_single(ORDERS, image) for image in (old, new))
    kept = new_single or old_single
    keys = {"PK": kept["PK"], "SK": kept["SK"]}
    return {"Records": [lambda_record(arn(settings, layout.table.name), keys, old_single, new_single, sequence)]}


@pytest.fixture(scope="module")
def redis_url() -> Iterator[str]:
    with running_redis() as server:
        yield server.url


def test_the_consumer_publishes_the_single_tables_records_as_the_old_tables_once(endpoint: str, redis_url: str) -> None:
    settings = fresh_settings(
        endpoint, live_single_table=True, migration_poll_seconds=0.001
    )  # the phase read again each batch
    run_with_dynamo(settings, lambda dynamo: create_tables(dynamo, tables=(MIGRATION.table,)))
    v1, v2, v3 = ({**ORDER, "Version": version, "Status": status} for version, status in enumerate("ABC", 1))

    async def run() -> list[dict[str, Any]]:
        client = aioredis.Redis.from_url(redis_url)
        pubsub = client.pubsub()
        await pubsub.subscribe(bus.channel(f"{settings.table_prefix}Orders"))
        while await pubsub.get_message(timeout=5.0) is None:  # SUBSCRIBE's confirmation
            pass
        await asyncio.to_thread(run_with_dynamo, settings, lambda dynamo: move_to(dynamo, "verify"))
        consumer = await asyncio.to_thread(StreamConsumer, redis_url, settings)
        published = [
            await asyncio.to_thread(consumer, single_event(settings, None, v1, 7)),  # dual-write's twin: not at all
            await asyncio.to_thread(consumer, orders_event(settings, None, v1, 1)),
        ]
        await asyncio.to_thread(run_with_dynamo, settings, lambda dynamo: move_to(dynamo, "cutover"))
        published += [
            await asyncio.to_thread(consumer, single_event(settings, v1, v2, 9)),  # written at cutover, alone
            await asyncio.to_thread(consumer, orders_event(settings, v1, v2, 2)),  # a copy (the rollback's)
            await asyncio.to_thread(consumer, single_event(settings, v2, v3, 10)),
        ]
        assert [answer["published"] for answer in published] == [0, 1, 1, 0, 1]
        received: list[dict[str, Any]] = []
        while len(received) < 3:
            message = await pubsub.get_message(ignore_subscribe_messages=True, timeout=30.0)
            assert message is not None, received
            received.append(json.loads(message["data"]))
        await asyncio.to_thread(consumer.close)
        await pubsub.aclose()
        await client.aclose()
        return received

    received = asyncio.run(run())
    statuses = [message["record"]["dynamodb"]["NewImage"]["Status"]["S"] for message in received]
    assert statuses == ["A", "B", "C"]
    assert all(message["record"]["dynamodb"]["Keys"] == {"OrderId": {"S": "ord_1"}} for message in received)
    assert received[0]["shard"].startswith("item:")  # the Orders stream's own scope
    assert received[1]["shard"].startswith(f"{settings.table_prefix}App:item:")  # the single table's, apart
