"""Shard leases of the live-updates relays: which relay reads which stream shard, and where it stands.

The relays' own table (`SHARD_LEASES`, one of the service's tables, not API data): one item per
stream shard, `LeaseKey` = "<table>#<shard id>", holding its `Owner` (a relay's id), `ExpiresAt` (epoch
milliseconds), `Checkpoint` (the sequence number of the last record published) and `Finished` (read to
its end). Every change is a conditional write, so exactly one relay holds a shard at a time: taking
needs the lease absent, expired or already ours; renewing and checkpointing need it still ours. A relay
that dies stops renewing; once its leases expire another relay takes them and resumes after their
checkpoints. Per table one more item, "<table>#since", records when relays first followed the table: a
shard with no checkpoint is read from its beginning and records written over a minute before that instant
are skipped, so a takeover before a first checkpoint loses nothing and the past before the relays started
is not replayed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity
from graphql_api.tables import Table


@dataclass(frozen=True)
class ShardLease:
    """One item of the lease table: a shard's lease, or a table's "since" (not an entity of the API: the relays')."""

    lease_key: str
    """`<table>#<shard id>`, or `<table>#since`."""
    owner: str | None = None
    """The relay holding the shard (host-pid-random); absent on a "since" item."""
    expires_at: int | None = None
    """Epoch milliseconds: when another relay may take the shard (not a time to live: leases are kept)."""
    checkpoint: str | None = None
    """The sequence number of the last record published; absent until the first batch."""
    finished: bool | None = None
    """The shard was read to its end (a closed shard): nobody reads it again, its children may start."""
    since: Decimal | None = None
    """On a "since" item: when relays first followed the table (epoch seconds)."""


SHARD_LEASES = Entity(ShardLease, "LiveLeases", key=("lease_key",))
"""Registered among the service's tables (graphql_api.graphql.registry.SERVICE_ENTITIES): `tables create|verify`,
Terraform and the relay's IAM grants (graphql_api.ops.iam_policy) know it."""
LIVE_LEASES: Table = SHARD_LEASES.table


class LeaseLost(Exception):
    """Another relay holds the shard now (ours expired): stop reading it without publishing more."""


@dataclass
class Lease:
    table: str
    shard_id: str
    owner: str
    checkpoint: str | None
    finished: bool

    @property
    def key(self) -> str:
        return f"{self.table}#{self.shard_id}"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _conditional_failure(error: ClientError) -> bool:
    return error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException"


class Leases:
    def __init__(self, dynamo: Dynamo, owner: str, lease_seconds: float) -> None:
        self.dynamo = dynamo
        self.owner = owner
        self.lease_ms = int(lease_seconds * 1000)
        self.table_name = LIVE_LEASES.physical_name(dynamo.table_prefix)

    async def since(self, table: str) -> float:
        """When relays first followed `table` (epoch seconds): set once by the first relay, read by the others."""
        now = time.time()
        try:
            await self.dynamo.call(
                "put_item",
                TableName=self.table_name,
                Item={"LeaseKey": {"S": f"{table}#since"}, "Since": {"N": repr(now)}},
                ConditionExpression="attribute_not_exists(LeaseKey)",
            )
            return now
        except ClientError as error:
            if not _conditional_failure(error):
                raise
        item = await self._get(f"{table}#since")
        return float(item["Since"]["N"]) if item else now

    async def finished(self, table: str, shard_id: str) -> bool:
        item = await self._get(f"{table}#{shard_id}")
        return bool(item and item.get("Finished", {}).get("BOOL"))

    async def take(self, table: str, shard_id: str) -> Lease | None:
        """The shard's lease if it is free, expired or ours (and not finished); None if another relay holds it."""
        key = f"{table}#{shard_id}"
        try:
            answer = await self.dynamo.call(
                "update_item",
                TableName=self.table_name,
                Key={"LeaseKey": {"S": key}},
                UpdateExpression="SET #owner = :me, ExpiresAt = :expires",
                ConditionExpression="(attribute_not_exists(LeaseKey) OR ExpiresAt < :now OR #owner = :me) "
                "AND attribute_not_exists(Finished)",
                ExpressionAttributeNames={"#owner": "Owner"},
                ExpressionAttributeValues={
                    ":me": {"S": self.owner},
                    ":now": {"N": str(_now_ms())},
                    ":expires": {"N": str(_now_ms() + self.lease_ms)},
                },
                ReturnValues="ALL_NEW",
            )
        except ClientError as error:
            if _conditional_failure(error):
                return None
            raise
        item = answer["Attributes"]
        checkpoint = item.get("Checkpoint", {}).get("S")
        return Lease(table, shard_id, self.owner, checkpoint, finished=False)

    async def renew(self, lease: Lease, *, checkpoint: str | None = None, finished: bool = False) -> None:
        """Extend the lease, recording the checkpoint (and the shard's end); LeaseLost if it is no longer ours."""
        sets = ["ExpiresAt = :expires"]
        values: dict[str, Any] = {":me": {"S": self.owner}, ":expires": {"N": str(_now_ms() + self.lease_ms)}}
        if checkpoint is not None:
            sets.append("Checkpoint = :checkpoint")
            values[":checkpoint"] = {"S": checkpoint}
        if finished:
            sets.append("Finished = :true")
            values[":true"] = {"BOOL": True}
        try:
            await self.dynamo.call(
                "update_item",
                TableName=self.table_name,
                Key={"LeaseKey": {"S": lease.key}},
                UpdateExpression="SET " + ", ".join(sets),
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "Owner"},
                ExpressionAttributeValues=values,
            )
        except ClientError as error:
            if _conditional_failure(error):
                raise LeaseLost(lease.key) from None
            raise
        if checkpoint is not None:
            lease.checkpoint = checkpoint
        lease.finished = finished

    async def release(self, lease: Lease) -> None:
        """Let another relay take the shard at once (a relay stopping cleanly)."""
        try:
            await self.dynamo.call(
                "update_item",
                TableName=self.table_name,
                Key={"LeaseKey": {"S": lease.key}},
                UpdateExpression="SET ExpiresAt = :zero",
                ConditionExpression="#owner = :me",
                ExpressionAttributeNames={"#owner": "Owner"},
                ExpressionAttributeValues={":me": {"S": self.owner}, ":zero": {"N": "0"}},
            )
        except ClientError as error:
            if not _conditional_failure(error):
                raise

    async def _get(self, key: str) -> dict[str, Any] | None:
        answer = await self.dynamo.call(
            "get_item", TableName=self.table_name, Key={"LeaseKey": {"S": key}}, ConsistentRead=True
        )
        item: dict[str, Any] | None = answer.get("Item")
        return item
