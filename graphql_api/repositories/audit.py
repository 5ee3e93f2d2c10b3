"""The audit trail: one `AuditLog` item per change of a customer, order, product or review, made from its stream record.

An entry is keyed by the changed item's id (`EntityId`: the customer's, order's, product's or review's own id)
and `ChangeId`, the record's time then its sequence number (zero-padded, so an entity's entries sort by time
and, within a second, in stream order). Both come from the record alone, so writing the same record twice (two
instances reading the stream, a relay's failover replaying a batch) writes the same item again: one entry.

Each entry holds who (`Actor`: the `UpdatedBy` stamp the API put on the new image, graphql_api.repositories._stamp;
"outside the API" when the image has none or kept the old one; a deletion has no new image to stamp and is
"unknown (deleted)"), when (the record's time), the kind (INSERT, MODIFY, REMOVE) and each changed field with
its value before and after, as JSON text (the bookkeeping `Version`, `UpdatedAt` and `UpdatedBy` left out).
The values are personal data when the item is a customer's (emails, addresses) or an order's: `ExpiresAt`
(DynamoDB's time to live) ends each entry AUDIT_RETENTION_DAYS after its change, and `erase` deletes an
entity's whole trail at once (`graphql-api audit erase ID`; docs/observability.md).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.entity import Entity, Page, Position
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS

AUDITED: tuple[Entity[Any], ...] = (CUSTOMERS, ORDERS, PRODUCTS, REVIEWS)
"""The tables whose changes are recorded (each declares stream="NEW_AND_OLD_IMAGES")."""

OUTSIDE_THE_API = "outside the API"
DELETED = "unknown (deleted)"
"""A REMOVE record has no new image, so no stamp: who deleted the item is not in the stream."""

BOOKKEEPING = frozenset({"Version", "UpdatedAt", "UpdatedBy"})
"""Attributes every write changes: not listed among an entry's changed fields."""


class ChangeKind(Enum):
    INSERT = "INSERT"
    MODIFY = "MODIFY"
    REMOVE = "REMOVE"


@dataclass(frozen=True)
class FieldChange:
    field: str
    """The attribute as stored (`Email`, `Addresses`)."""
    before: str | None = None
    """Its value before the change, as JSON text; None: it had none."""
    after: str | None = None
    """Its value after the change, as JSON text; None: it has none."""


@dataclass(frozen=True, kw_only=True)
class AuditEntry:
    """One change of one item, as its stream record tells it."""

    entity_id: str
    """The changed item's own id (a customer's, order's, product's or review's)."""
    change_id: str
    """`<time>#<sequence number>`: derived from the record, so one record is one entry however often written."""
    table: str
    """The changed item's table (`Customers`, `Orders`, `Products`, `Reviews`)."""
    kind: ChangeKind
    actor: str
    """`admin:<subject>`, `customer:<subject>`, ... as the API stamped the item; "outside the API" otherwise."""
    changed_at: datetime
    """When the change was made (the stream record's approximate creation time)."""
    changes: tuple[FieldChange, ...] = ()
    expires_at: int
    """Epoch seconds: AUDIT_RETENTION_DAYS after the change (DynamoDB's time to live deletes it then)."""


AUDIT_LOG = Entity(AuditEntry, "AuditLog", key=("entity_id", "change_id"), ttl="expires_at")
OF_ENTITY = AUDIT_LOG.listing(newest_first=True, pattern="AP14", purpose="An entity's audit trail, newest first")
"""AP14: Query the table by EntityId, newest ChangeId first (`auditLog`; `graphql-api audit erase` deletes them)."""


def _json(value: Any) -> str:
    def plain(inner: object) -> object:
        if isinstance(inner, Decimal):
            return int(inner) if inner == inner.to_integral_value() else str(inner)
        if isinstance(inner, set | frozenset):
            return sorted(plain(each) if isinstance(each, Decimal) else each for each in inner)  # type: ignore[type-var]
        if isinstance(inner, bytes):
            return inner.hex()
        raise TypeError(f"cannot show a {type(inner).__name__}")

    return json.dumps(value, default=plain, sort_keys=True, ensure_ascii=False)


def _written_at(images: dict[str, Any]) -> datetime:
    written = images.get("ApproximateCreationDateTime")
    if isinstance(written, datetime):
        return written.astimezone(UTC)
    return datetime.fromtimestamp(float(written or 0), UTC)


def _actor(old: dict[str, Any] | None, new: dict[str, Any] | None) -> str:
    if new is None:
        return DELETED
    stamp = new.get("UpdatedBy")
    previous = (old or {}).get("UpdatedBy")
    if not isinstance(stamp, dict) or "Actor" not in stamp:
        return OUTSIDE_THE_API
    if isinstance(previous, dict) and previous.get("Write") == stamp.get("Write"):
        return OUTSIDE_THE_API  # the image kept the last API write's stamp: this write did not come from the API
    return str(stamp["Actor"])


def entry_of(entity: Entity[Any], record: dict[str, Any], retention_days: int) -> AuditEntry:
    """The entry of one stream record of `entity`'s table (a record as DynamoDB Streams or the bus give it)."""
    images = record["dynamodb"]
    old = deserialize_item(images["OldImage"]) if images.get("OldImage") else None
    new = deserialize_item(images["NewImage"]) if images.get("NewImage") else None
    kind = ChangeKind.INSERT if old is None else ChangeKind.REMOVE if new is None else ChangeKind.MODIFY
    keys = deserialize_item(images["Keys"])
    id_field = entity.id_field or entity.key_fields[-1]
    changed_at = _written_at(images)
    sequence = str(images["SequenceNumber"]).zfill(40)
    before, after = old or {}, new or {}
    changes = tuple(
        FieldChange(
            name,
            None if name not in before else _json(before[name]),
            None if name not in after else _json(after[name]),
        )
        for name in sorted((set(before) | set(after)) - BOOKKEEPING)
        if before.get(name) != after.get(name)
    )
    return AuditEntry(
        entity_id=str(keys[entity.attribute(id_field)]),
        change_id=f"{changed_at.strftime('%Y-%m-%dT%H:%M:%SZ')}#{sequence}",
        table=entity.table.name,
        kind=kind,
        actor=_actor(old, new),
        changed_at=changed_at,
        changes=changes,
        expires_at=int((changed_at + timedelta(days=retention_days)).timestamp()),
    )


def created(entity: Entity[Any], value: Any, sequence: int, retention_days: int) -> AuditEntry:
    """The entry an item's creation would have from its stream (the demo data's, written outside the API)."""
    item = entity.to_item(value)
    key = {name: item[name] for name in entity.table.key_names}
    at = getattr(value, "created_at", None) or datetime.now(UTC)
    record = {
        "dynamodb": {
            "ApproximateCreationDateTime": at,
            "Keys": serialize_item(key),
            "NewImage": serialize_item(item),
            "SequenceNumber": str(sequence),
        }
    }
    return entry_of(entity, record, retention_days)


async def record(dynamo: Dynamo, entry: AuditEntry) -> None:
    """Write an entry whole: the same record rewrites the same item (idempotent). Not a request's write: the stream
    readers' and the relay's (their grant is graphql_api.ops.iam_policy's AUDIT_WRITES, not the API's)."""
    await dynamo.call(
        "put_item",
        TableName=AUDIT_LOG.table.physical_name(dynamo.table_prefix),
        Item=serialize_item(AUDIT_LOG.to_item(entry)),
    )


async def record_change(dynamo: Dynamo, entity: Entity[Any], change: dict[str, Any], retention_days: int) -> str:
    """Write the entry of one stream record of `entity`'s table; returns the changed item's id."""
    entry = entry_of(entity, change, retention_days)
    await record(dynamo, entry)
    return entry.entity_id


async def page(
    dynamo: Dynamo, entity_id: str, *, first: int, after: Position | None, read_budget: int
) -> Page[AuditEntry]:
    """An entity's entries, newest first (AP14: one Query)."""
    return await OF_ENTITY.page(dynamo, entity_id, first=first, after=after, read_budget=read_budget)


async def erase(dynamo: Dynamo, entity_id: str) -> int:
    """Delete every entry of `entity_id`'s trail; returns how many were deleted. The operator's command (`graphql-api
    audit erase`), with the operator's credentials: the service's roles may not delete the trail."""
    deleted = 0
    after: Position | None = None
    table = AUDIT_LOG.table.physical_name(dynamo.table_prefix)
    while True:
        found = await OF_ENTITY.page(dynamo, entity_id, first=100, after=after, read_budget=1)
        for _entry, position in found.entries:
            await dynamo.call("delete_item", TableName=table, Key=serialize_item(position))
            deleted += 1
            after = position
        if not found.has_next or not found.entries:
            return deleted
