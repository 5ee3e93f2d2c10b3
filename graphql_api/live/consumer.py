"""The stream consumer of AWS Lambda: a DynamoDB stream event's records published on the bus (LIVE_BUS).

On AWS the relay's work can be done by a Lambda function on each table's stream, through an event source
mapping (infra_terraform/live_bus.tf): Lambda reads every shard itself, one batch at a time per shard, in
order, retries a failed batch (bisecting it), and sends what still fails to a dead-letter queue. Each
batch is published as the relay publishes (graphql_api.live.bus), with one difference: Lambda's event does
not name the shard, so a record's order scope is its item (its key) rather than its shard. A batch that
is retried is published again; the instances drop what they already delivered, item by item. Publishing
fails loudly (the batch is retried) rather than acknowledging records that never reached the bus.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

from graphql_api.live import bus


def table_of(event_source_arn: str) -> str:
    """`arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>` -> `<name>`."""
    return event_source_arn.split(":table/", 1)[1].split("/stream/", 1)[0]


def item_scope(record: Mapping[str, Any]) -> str:
    """The order scope of a record from Lambda: its item's key (an item's changes are in one shard, in order)."""
    return "item:" + json.dumps(record["dynamodb"]["Keys"], sort_keys=True, separators=(",", ":"))


def messages_by_channel(records: Sequence[Mapping[str, Any]]) -> dict[str, list[str]]:
    by_channel: dict[str, list[str]] = {}
    for record in records:
        channel = bus.channel(table_of(record["eventSourceARN"]))
        by_channel.setdefault(channel, []).append(bus.record_message(item_scope(record), dict(record)))
    return by_channel


async def publish_event(publisher: bus.Publisher, event: Mapping[str, Any]) -> int:
    """Publish a stream event's records in order; returns how many (RedisError: Lambda retries the batch)."""
    records: Sequence[Mapping[str, Any]] = event.get("Records", [])
    for channel, messages in messages_by_channel(records).items():
        await publisher.publish(channel, messages)
    return len(records)
