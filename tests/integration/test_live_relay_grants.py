"""The relay's DynamoDB calls, run in this process so that the IAM record sees them (graphql_api.ops.iam_policy).

`graphql-api relay` runs in processes of their own in test_live_bus.py, where the record does not reach. Here
two relays (graphql_api.live.relay.Relay, the CLI's code) run in the test process on the session's tables,
with a real redis-server as the bus: the first sets the table's "since" (PutItem), the second finds it set
(GetItem), both take, renew and release leases (UpdateItem) and read the streams. Every call is noted, as the
integration suite notes the stream readers' (tests/integration/conftest.py), under `subscriptions`: the part
whose grants a relay's role gets. They must be exactly that part's grants.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

from graphql_api.dynamo.client import Dynamo, client_kwargs, config_kwargs, open_dynamo
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.live.audit import AuditTrail
from graphql_api.live.bus import Publisher
from graphql_api.live.relay import Relay
from graphql_api.migration.watch import MigrationWatch
from graphql_api.ops.iam_policy import SINGLE_TABLE_STREAM, SUBSCRIPTIONS, Grant, grants, grants_of_call, stream_grant
from tests.dynamodb_access import AccessRecord
from tests.operations import create_product
from tests.support import Api
from tests.support.live_bus import RedisServer

pytestmark = pytest.mark.one_backend  # the relays' calls are the same on both backends

WITHIN = 60.0


def _outside_a_migration(granted: list[Grant]) -> set[Grant]:
    """All but the single table's stream, which relays read only during a migration: test_live_bus_single_table runs
    them in processes of their own, and the instances' readers record those grants (test_live_single_table)."""
    return {grant for grant in granted if grant.table != SINGLE_TABLE_STREAM.grants[0].table}


async def two_relays(api: Api, redis_url: str, record: AccessRecord) -> tuple[set[Grant], int]:
    prefix = api.settings.table_prefix
    used: set[Grant] = set()

    def note(found: list[Grant]) -> None:
        used.update(found)
        record.note("subscriptions", found)

    publisher = Publisher(redis_url)
    async with (
        open_dynamo(api.settings) as dynamo,
        get_session().create_client(
            "dynamodbstreams", config=AioConfig(**config_kwargs(api.settings)), **client_kwargs(api.settings)
        ) as streams,
    ):

        async def dynamo_call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            note(grants_of_call(operation, params, prefix))
            return await dynamo.call(operation, **params)

        arns: dict[str, str] = {}
        """Each shard iterator's stream: GetRecords names only the iterator."""

        async def streams_call(operation: str, **params: Any) -> dict[str, Any]:
            arn = params.get("StreamArn") or arns[params["ShardIterator"]]
            note([stream_grant(operation, arn, prefix)])
            result: dict[str, Any] = await getattr(streams, operation)(**params)
            for iterator in (result.get("ShardIterator"), result.get("NextShardIterator")):
                if iterator:
                    arns[iterator] = arn
            return result

        recorded = Dynamo(dynamo_call, prefix)
        await MigrationWatch(recorded, 1.0).refresh()  # the relay's view of the migration's phase (cli.relay)
        audit = AuditTrail(recorded, 30)  # the audit trail's entries, as `graphql-api relay` writes them
        first = Relay(
            recorded,
            streams_call,
            publisher,
            ALL_TABLES,
            owner="grants-1",
            lease_seconds=1.0,
            max_idle=0.1,
            audit=audit,
        )
        running = [asyncio.ensure_future(first.run())]
        deadline = time.monotonic() + WITHIN
        while not first.held:  # the first has set "since" and holds the shards
            assert time.monotonic() < deadline, "the first relay took no shard"
            await asyncio.sleep(0.05)
        second = Relay(
            recorded,
            streams_call,
            publisher,
            ALL_TABLES,
            owner="grants-2",
            lease_seconds=1.0,
            max_idle=0.1,
            audit=audit,
        )
        running.append(asyncio.ensure_future(second.run()))
        await asyncio.to_thread(create_product, api)
        expected = _outside_a_migration(grants(SUBSCRIPTIONS))
        while not (expected <= used and first.stats["published"] + second.stats["published"] > 0):
            if time.monotonic() > deadline:
                break
            await asyncio.sleep(0.05)
        published = first.stats["published"] + second.stats["published"]
        for task in running:  # a clean stop releases the leases (UpdateItem)
            task.cancel()
        await asyncio.gather(*running, return_exceptions=True)
    await publisher.close()
    return used, published


def test_the_relays_calls_are_exactly_the_subscriptions_grants(api: Api, dynamodb_access_record: AccessRecord) -> None:
    redis = RedisServer()
    redis.start()
    try:
        used, published = asyncio.run(two_relays(api, redis.url, dynamodb_access_record))
    finally:
        redis.stop()
    assert published > 0, "the relays published nothing within the deadline"
    expected = _outside_a_migration(grants(SUBSCRIPTIONS))
    assert sorted(map(str, used - expected)) == [], "the relay used grants its role would not have"
    assert sorted(map(str, expected - used)) == [], "the relay's part grants what the relays never used"
