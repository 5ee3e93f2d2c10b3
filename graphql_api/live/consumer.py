"""The stream consumer of AWS Lambda: a DynamoDB stream event's records published on the bus (LIVE_BUS).

On AWS the relay's work can be done by a Lambda function on each table's stream, through an event source
mapping (infra_terraform/live_bus.tf): Lambda reads every shard itself, one batch at a time per shard, in
order, retries a failed batch (bisecting it), and sends what still fails to a dead-letter queue. Each
batch is published as the relay publishes (graphql_api.live.bus), with one difference: Lambda's event does
not name the shard, so a record's order scope is its item (its key) rather than its shard. A batch that
is retried is published again; the instances drop what they already delivered, item by item. Publishing
fails loudly (the batch is retried) rather than acknowledging records that never reached the bus.

Across the single-table migration (`migration`: a `ConsumerMigration`, with Terraform's mapping on the single
table's stream) the single table's records are published as their old tables' (graphql_api.live.single_table_feed)
where the phase calls for them (reads, cutover, and finalized: before reads the old tables' streams carry every
change, and the single table's are twins or the backfill's), in an order scope of their own (their sequence numbers
are not comparable with the old stream's), and every record goes through the relays' filter shared in Redis
(graphql_api.live.bus_dedupe), so a change both streams carry is published once.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql_api.live import bus
from graphql_api.live.bus_dedupe import publish_first
from graphql_api.live.single_table_feed import FromSingle, old_record
from graphql_api.live.streams import Record


@dataclass(frozen=True)
class ConsumerMigration:
    """The single table as the consumer follows it."""

    physical_name: str
    from_single: FromSingle
    table_prefix: str
    publishing: Callable[[], Awaitable[bool]]
    """Whether the phase calls for the single table's records (read fresh enough: graphql_api.aws_lambda_stream)."""


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


async def publish_event(
    publisher: bus.Publisher, event: Mapping[str, Any], migration: ConsumerMigration | None = None
) -> int:
    """Publish a stream event's records in order; returns how many (RedisError: Lambda retries the batch)."""
    records: Sequence[Mapping[str, Any]] = event.get("Records", [])
    if migration is not None:
        routed = await migration_messages(records, migration)
        return sum(await publish_first(publisher.redis, routed))
    for channel, messages in messages_by_channel(records).items():
        await publisher.publish(channel, messages)
    return len(records)


async def migration_messages(
    records: Sequence[Mapping[str, Any]], migration: ConsumerMigration
) -> list[tuple[str, str, Record]]:
    """(channel, message, record) of each record to publish: the single table's translated, where wanted."""
    routed: list[tuple[str, str, Record]] = []
    publishing: bool | None = None
    for record in records:
        table = table_of(record["eventSourceARN"])
        if table != migration.physical_name:
            routed.append((bus.channel(table), bus.record_message(item_scope(record), dict(record)), dict(record)))
            continue
        if publishing is None:
            publishing = await migration.publishing()  # read once per batch, and only for the single table's
        found = old_record(dict(record), migration.from_single) if publishing else None
        if found is not None:
            entity, translated = found
            scope = f"{table}:{item_scope(translated)}"
            channel = bus.channel(entity.table.physical_name(migration.table_prefix))
            routed.append((channel, bus.record_message(scope, translated), translated))
    return routed
