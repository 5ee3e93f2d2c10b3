"""Shard leases of the relays (graphql_api.live.leases) on DynamoDB: one holder at a time, takeover after expiry."""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from graphql_api.dynamo.client import open_dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.live.leases import LIVE_LEASES, SHARD_LEASES, LeaseLost, Leases, ShardLease
from tests.support import Api

pytestmark = pytest.mark.one_backend


def test_one_holder_at_a_time_and_a_takeover_resumes_at_the_checkpoint(api: Api) -> None:
    shard = f"shardId-{uuid.uuid4().hex[:8]}"

    async def run() -> dict[str, Any]:
        async with open_dynamo(api.settings) as dynamo:
            first, second = Leases(dynamo, "relay-1", 1.0), Leases(dynamo, "relay-2", 1.0)
            held = await first.take("Things", shard)
            assert held is not None
            refused = await second.take("Things", shard)  # held and not expired
            await first.renew(held, checkpoint="000000000000000000042")
            deadline = time.monotonic() + 30
            taken = None
            while taken is None and time.monotonic() < deadline:  # first stops renewing: its lease runs out
                taken = await second.take("Things", shard)
                await asyncio.sleep(0.2)
            assert taken is not None
            with pytest.raises(LeaseLost):
                await first.renew(held, checkpoint="000000000000000000043")  # too late: it publishes no more
            await second.renew(taken, finished=True)
            after_end = await first.take("Things", shard)
            since = await first.since("Things"), await second.since("Things")
            items = [
                (await dynamo.call("get_item", TableName=LIVE_LEASES.physical_name(dynamo.table_prefix), Key=key))[
                    "Item"
                ]
                for key in ({"LeaseKey": {"S": f"Things#{shard}"}}, {"LeaseKey": {"S": "Things#since"}})
            ]
            return {
                "refused": refused,
                "resumed_at": taken.checkpoint,
                "after_end": after_end,
                "since": since,
                "items": [SHARD_LEASES.from_item(deserialize_item(item)) for item in items],
            }

    outcome = asyncio.run(run())
    assert outcome["refused"] is None
    assert outcome["resumed_at"] == "000000000000000000042"
    assert outcome["after_end"] is None  # a finished shard is read by nobody again
    assert outcome["since"][0] == outcome["since"][1]  # set once, by the first relay
    # The items are what the table's declaration says (validate reads them so): the registered LiveLeases.
    lease, since = outcome["items"]
    assert isinstance(lease, ShardLease)
    assert (lease.owner, lease.checkpoint, lease.finished, lease.since) == (
        "relay-2",
        "000000000000000000042",
        True,
        None,
    )
    assert lease.expires_at is not None
    assert (since.owner, since.expires_at) == (None, None)
    assert since.since is not None
    assert float(since.since) == outcome["since"][0]
