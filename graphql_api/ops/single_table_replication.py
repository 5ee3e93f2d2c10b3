"""`graphql-api migrate replicate`: the old tables' stream records applied to the single table (SPEC section 14).

Dual-write covers the API's own writes; this covers everything else that writes the old tables (a backfill of
a counter, another service, the console), and completes what dual-write left partial or could not fit in a
transaction (graphql_api.migration.dual_write). It is the live relay's machinery (graphql_api.live.relay): one
reader per shard under a lease, resuming after its checkpoint, a child shard after its parent, records written
before replication first followed a table skipped (the backfill copies those); its leases are its own
(`replicate:<table>#<shard>` in the same lease table), and instead of publishing on a bus it applies each batch,
in order, before the checkpoint (a replicator that dies between the two has the next one apply them again:
idempotent). Any number may run; one applies each shard.

Each record, by item, in stream order:

- INSERT, MODIFY: the NewImage converted to its single-table shape and put; a versioned item only over an older
  or the same Version (the same version is the same write: it completes a partial item that dual-write's update
  created), never over a newer one; an unversioned item (a counter, a guard) always (stream order is its order).
  An item whose keys need its parent's attributes (an order's line) reads its parent from the old table; if the
  parent is gone, the line is gone too and nothing is written.
- REMOVE: the item deleted from the single table (a versioned one only at the version removed or an older one).

`migrate start` enables NEW_AND_OLD_IMAGES streams on the data tables that declare none, which replication needs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo, client_kwargs, config_kwargs, open_dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.live import bus
from graphql_api.live.leases import Lease, Leases
from graphql_api.live.relay import Relay
from graphql_api.live.streams import StreamsCall
from graphql_api.ops.single_table import Layout
from graphql_api.settings import Settings
from graphql_api.tables import StreamView, Table

LEASE_PREFIX = "replicate:"
"""Replication's leases beside the live relays' in the same table: `replicate:Orders#<shard id>`."""
STREAM_VIEW: StreamView = "NEW_AND_OLD_IMAGES"


class _OwnLeases(Leases):
    """The relay's leases under replication's own names, so that replicators and live relays never compete."""

    async def since(self, table: str) -> float:
        return await super().since(LEASE_PREFIX + table)

    async def finished(self, table: str, shard_id: str) -> bool:
        return await super().finished(table if table.startswith(LEASE_PREFIX) else LEASE_PREFIX + table, shard_id)

    async def take(self, table: str, shard_id: str) -> Lease | None:
        return await super().take(LEASE_PREFIX + table, shard_id)


class Applier(bus.Publisher):
    """In the relay's place of the bus: each batch of a table's records applied to the single table, in order."""

    def __init__(self, dynamo: Dynamo, layout: Layout) -> None:  # no bus: nothing of Publisher's is set up
        self.dynamo = dynamo
        self.layout = layout
        self.by_channel = {
            bus.channel(placement.entity.table.physical_name(dynamo.table_prefix)): placement.entity
            for placement in layout.placements.values()
        }
        self.applied = 0
        self.kept = 0

    async def publish(self, channel_name: str, messages: list[str]) -> None:
        entity = self.by_channel[channel_name]
        for message in messages:
            decoded = json.loads(message)
            if "record" in decoded:
                await self.apply(entity, decoded["record"]["dynamodb"])

    async def close(self) -> None:
        return None

    async def apply(self, entity: Entity[Any], images: dict[str, Any]) -> None:
        if "NewImage" in images:
            item = deserialize_item(images["NewImage"])
            converted = await self._converted(entity, item)
            if converted is not None:
                await self._write("put_item", {"Item": serialize_item(converted)}, item.get("Version"))
        elif "OldImage" in images:
            item = deserialize_item(images["OldImage"])
            key = await self._single_key(entity, item)
            if key is not None:
                await self._write("delete_item", {"Key": serialize_item(key)}, item.get("Version"))

    async def _converted(self, entity: Entity[Any], item: Item) -> Item | None:
        needed = self.layout.ancestors_needed(entity)
        if needed is None:
            return self.layout.to_single(entity, item)
        parent_entity, via = needed
        response = await self.dynamo.call(
            "get_item",
            TableName=parent_entity.table.physical_name(self.dynamo.table_prefix),
            Key=serialize_item({parent_entity.table.hash_key.name: item[entity.attribute(via)]}),
            ConsistentRead=True,
        )
        parent = response.get("Item")
        return None if parent is None else self.layout.to_single(entity, item, deserialize_item(parent))

    async def _single_key(self, entity: Entity[Any], item: Item) -> Item | None:
        """The PK and SK of a removed item: from its key, or found under its key in the key GSI."""
        key = {name: item[name] for name in entity.table.key_names}
        index = self.layout.key_index(entity, key)
        if index is None:
            single = self.layout.to_single(entity, key)
            return {"PK": single["PK"], "SK": single["SK"]}
        name, pk, sk = index
        response = await self.dynamo.call(
            "query",
            TableName=self.layout.table.physical_name(self.dynamo.table_prefix),
            IndexName=name,
            KeyConditionExpression=f"{name}PK = :pk AND {name}SK = :sk",
            ExpressionAttributeValues=serialize_item({":pk": pk, ":sk": sk}),
        )
        found = response.get("Items", [])
        return None if not found else {"PK": deserialize_item(found[0])["PK"], "SK": deserialize_item(found[0])["SK"]}

    async def _write(self, operation: str, params: dict[str, Any], version: Any) -> None:
        if version is not None:  # never over a newer version; the same one is the same write
            params["ConditionExpression"] = "attribute_not_exists(PK) OR attribute_not_exists(Version) OR Version <= :v"
            params["ExpressionAttributeValues"] = serialize_item({":v": version})
        try:
            await self.dynamo.call(
                operation, TableName=self.layout.table.physical_name(self.dynamo.table_prefix), **params
            )
            self.applied += 1
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            self.kept += 1


def replicator(
    dynamo: Dynamo, streams: StreamsCall, layout: Layout, *, lease_seconds: float = 10.0, max_idle: float = 0.25
) -> tuple[Relay, Applier]:
    """A relay over every data table's stream that applies what it reads (run it: `await relay.run()`)."""
    applier = Applier(dynamo, layout)
    tables = replicated_tables(layout)
    relay = Relay(dynamo, streams, applier, tables, lease_seconds=lease_seconds, max_idle=max_idle)
    relay.leases = _OwnLeases(dynamo, relay.owner, lease_seconds)
    return relay, applier


def replicated_tables(layout: Layout) -> list[Table]:
    """The old tables as replication reads them: each with a stream, declared or enabled by `migrate start`."""
    return [
        dataclasses.replace(placement.entity.table, stream=placement.entity.table.stream or STREAM_VIEW)
        for placement in layout.placements.values()
    ]


async def enable_streams(dynamo: Dynamo, layout: Layout) -> list[str]:
    """Turn on NEW_AND_OLD_IMAGES on every data table without a stream (replication reads them); the names."""
    enabled = []
    for placement in layout.placements.values():
        physical = placement.entity.table.physical_name(dynamo.table_prefix)
        described = (await dynamo.call("describe_table", TableName=physical))["Table"]
        if described.get("StreamSpecification", {}).get("StreamEnabled"):
            continue
        await _update_table(dynamo, physical, {"StreamEnabled": True, "StreamViewType": STREAM_VIEW})
        enabled.append(placement.entity.table.name)
    return enabled


UPDATE_TABLE_ATTEMPTS = 6


async def _update_table(dynamo: Dynamo, physical: str, stream: dict[str, Any]) -> None:
    """UpdateTable, tried again with backoff while the server says to retry later (a table still updating, or an
    emulator's lock timing out under load: "This request will succeed in actual DynamoDB API")."""
    for attempt in range(UPDATE_TABLE_ATTEMPTS):
        try:
            await dynamo.call("update_table", TableName=physical, StreamSpecification=stream)
            return
        except ClientError as error:
            if "already has an enabled stream" in error.response.get("Error", {}).get("Message", ""):
                return  # an earlier attempt applied before its answer was lost
            raise
        except Unavailable:
            if attempt == UPDATE_TABLE_ATTEMPTS - 1:
                raise
            await asyncio.sleep(0.5 * 2**attempt)


async def replicate(settings: Settings, layout: Layout, stop: asyncio.Event) -> Applier:
    """Replicate until `stop` is set (the command: SIGTERM or SIGINT); the leases are released on the way out."""
    async with (
        open_dynamo(settings) as dynamo,
        get_session().create_client(
            "dynamodbstreams", config=AioConfig(**config_kwargs(settings)), **client_kwargs(settings)
        ) as client,
    ):

        async def streams(operation: str, **params: Any) -> dict[str, Any]:
            answer: dict[str, Any] = await getattr(client, operation)(**params)
            return answer

        relay, applier = replicator(
            dynamo, streams, layout, lease_seconds=settings.live_lease_seconds, max_idle=settings.stream_max_idle
        )
        running = asyncio.ensure_future(relay.run())
        await stop.wait()
        running.cancel()
        await asyncio.gather(running, return_exceptions=True)
        return applier
