"""Building blocks of every write: versioned updates, create-only puts, and reading why a write failed.

Every item carries `Version` (1 on create, +1 on every write) and `UpdatedAt`; the repository
layer maintains both, so callers only say what changes and which version they expect.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from graphql_api.clock import format_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item, serialize_value
from graphql_api.errors import NotFound, VersionMismatch
from graphql_api.tables import Table


def key_of(table: Table, values: tuple[Any, ...]) -> dict[str, Any]:
    return {name: serialize_value(value) for name, value in zip(table.key_names, values, strict=True)}


async def get_item(dynamo: Dynamo, table: Table, key: tuple[Any, ...]) -> Item | None:
    """One item by key, strongly consistent; None if it does not exist."""
    response = await dynamo.call(
        "get_item", TableName=table.physical_name(dynamo.table_prefix), Key=key_of(table, key), ConsistentRead=True
    )
    item = response.get("Item")
    return deserialize_item(item) if item else None


def put_new(dynamo: Dynamo, table: Table, item: Mapping[str, Any]) -> dict[str, Any]:
    """A TransactWriteItems Put that fails if an item with the same key exists."""
    return {
        "Put": {
            "TableName": table.physical_name(dynamo.table_prefix),
            "Item": serialize_item(item),
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": {"#key": table.hash_key.name},
        }
    }


def versioned_update(
    dynamo: Dynamo,
    table: Table,
    key: tuple[Any, ...],
    *,
    at: datetime,
    expected_version: int | None = None,
    set_values: Mapping[str, Any] | None = None,
    add_values: Mapping[str, int] | None = None,
    condition: str | None = None,
    condition_values: Mapping[str, Any] | None = None,
    condition_names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """An Update (in TransactWriteItems form) that bumps Version and UpdatedAt.

    `set_values` are assigned (None removes the attribute), `add_values` are added to numbers
    (a missing number counts as 0).
    The item must exist; with `expected_version` it must also be at that version; `condition`
    (with its `condition_values`) adds to that.
    """
    names = {"#version": "Version", "#updated": "UpdatedAt", "#key": table.hash_key.name}
    values: dict[str, Any] = {":one": 1, ":updated": format_timestamp(at)}
    assignments = ["#version = #version + :one", "#updated = :updated"]
    removals = []
    for number, (name, value) in enumerate((set_values or {}).items()):
        names[f"#s{number}"] = name
        if value is None:
            removals.append(f"#s{number}")
        else:
            values[f":s{number}"] = value
            assignments.append(f"#s{number} = :s{number}")
    for number, (name, amount) in enumerate((add_values or {}).items()):
        names[f"#a{number}"] = name
        values[f":a{number}"] = amount
        assignments.append(f"#a{number} = if_not_exists(#a{number}, :zero) + :a{number}")
        values[":zero"] = 0
    conditions = ["attribute_exists(#key)"]
    if expected_version is not None:
        conditions.append("#version = :expected")
        values[":expected"] = expected_version
    if condition:
        conditions.append(condition)
        values.update(condition_values or {})
        names.update(condition_names or {})
    expression = "SET " + ", ".join(assignments)
    if removals:
        expression += " REMOVE " + ", ".join(removals)
    return {
        "Update": {
            "TableName": table.physical_name(dynamo.table_prefix),
            "Key": key_of(table, key),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize_item(values),
        }
    }


def delete_if(
    dynamo: Dynamo,
    table: Table,
    key: tuple[Any, ...],
    condition: str,
    values: Mapping[str, Any],
    names: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    action: dict[str, Any] = {
        "TableName": table.physical_name(dynamo.table_prefix),
        "Key": key_of(table, key),
        "ConditionExpression": condition,
        "ExpressionAttributeValues": serialize_item(values),
    }
    if names:
        action["ExpressionAttributeNames"] = dict(names)
    return {"Delete": action}


def check_version(item: Item | None, expected_version: int, what: str) -> Item:
    """The item, if it exists at the expected version; else NOT_FOUND or VERSION_MISMATCH."""
    if item is None:
        raise NotFound(f"{what} not found")
    current = int(item["Version"])
    if current != expected_version:
        raise VersionMismatch(
            f"{what} is at version {current}, not {expected_version}: reload it and retry",
            currentVersion=current,
        )
    return item
