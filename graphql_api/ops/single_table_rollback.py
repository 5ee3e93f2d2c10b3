"""`graphql-api migrate rollback` from cutover: what only the single table got, copied back into the old tables.

At cutover the API writes the single table only, so the old tables miss those writes. Copying back compares
both layouts item for item (graphql_api.ops.single_table_verify's view of them) and makes the old tables agree:

- an item the single table holds at a newer Version (or, unversioned, with other values), or that only it
  holds: put into its old table, conditioned on the old table holding no item there or an older Version of it;
- an item only the old tables hold (the API deleted it at cutover): deleted from its old table, conditioned on
  its Version not having moved; unless the API never deletes items of its table (what the repositories declare,
  `@uses(DeleteItem=...)`): then something else wrote it at cutover (the audit trail's readers, which write the
  old AuditLog in every phase; another service) and it stays, counted as spared.

A write that loses its condition (another writer got there first) is counted and left: run the rollback's copy
again, or `migrate verify`, which reads both layouts the same way.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, serialize_item
from graphql_api.graphql.registry import WRITES
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_verify import expected_items
from graphql_api.ops.table_scan import scan_items


class CopyBack(Counter[str]):
    """What a copy back did: `copied` (back into the old tables), `deleted`, `kept` (not written: the old table's
    item moved on meanwhile), `spared` (only in the old tables, of a table the API never deletes from)."""

    def line(self) -> str:
        return (
            f"copied back {self['copied']}, deleted {self['deleted']}, kept {self['kept']} (changed meanwhile), "
            f"spared {self['spared']} (written outside the API)"
        )


async def copy_back(dynamo: Dynamo, layout: Layout) -> CopyBack:
    old = await expected_items(dynamo, layout)
    single = {(item["PK"], item["SK"]): item for item in await scan_items(dynamo, layout.table)}
    result = CopyBack()
    for key, item in single.items():
        before = old.get(key)
        if before is not None and (before == item or _older(item, before)):
            continue
        entity, plain = layout.from_single(item)
        condition = _unchanged(entity.table.hash_key.name, before, newer_than=plain.get("Version"))
        table = entity.table.physical_name(dynamo.table_prefix)
        await _write(dynamo, result, "put_item", table, {"Item": plain}, condition)
    deleted_by_api = {
        entity.table.name for access in WRITES for action, entity in access.actions if action == "DeleteItem"
    }
    for key in old.keys() - single.keys():
        entity, plain = layout.from_single(old[key])
        if entity.table.name not in deleted_by_api:
            result["spared"] += 1
            continue
        params = {"Key": {name: plain[name] for name in entity.table.key_names}}
        condition = _unchanged(entity.table.hash_key.name, old[key], newer_than=None)
        await _write(dynamo, result, "delete_item", entity.table.physical_name(dynamo.table_prefix), params, condition)
    return result


def _older(single: Item, old: Item) -> bool:
    """The single table's item is older than the old table's (a write after cutover's end): keep the old one."""
    return single.get("Version") is not None and old.get("Version") is not None and single["Version"] < old["Version"]


Condition = tuple[str, dict[str, str], dict[str, Any]]


def _unchanged(hash_key: str, before: Item | None, newer_than: Any) -> Condition:
    """The condition of a copy: the old item is still as read (absent, or older than the copy, or at its Version)."""
    if before is None:
        return "attribute_not_exists(#k)", {"#k": hash_key}, {}
    if before.get("Version") is None:
        return "attribute_exists(#k)", {"#k": hash_key}, {}
    if newer_than is not None:
        return "Version < :v", {}, {":v": newer_than}
    return "Version = :v", {}, {":v": before["Version"]}


async def _write(
    dynamo: Dynamo, result: CopyBack, operation: str, table: str, params: dict[str, Any], condition: Condition
) -> None:
    expression, names, values = condition
    sent: dict[str, Any] = {
        "TableName": table,
        **{name: serialize_item(value) for name, value in params.items()},
        "ConditionExpression": expression,
    }
    if names:
        sent["ExpressionAttributeNames"] = names
    if values:
        sent["ExpressionAttributeValues"] = serialize_item(values)
    try:
        await dynamo.call(operation, **sent)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        result["kept"] += 1
        return
    if operation == "delete_item":
        result["deleted"] += 1
    else:
        result["copied"] += 1
