"""Building blocks of every write: versioned updates, create-only puts, conditional deletes, by field name.

Every item of a versioned entity carries `Version` (1 on create, +1 on every write) and `UpdatedAt`;
these helpers maintain both, so callers only say what changes and which version they expect (and, on an
entity declaring `updated_by`, stamp who wrote it through the API: graphql_api.repositories._stamp). Fields
are named as in the entity's dataclass and turned into attribute names and stored values by the
entity (graphql_api.entity): no repository spells an attribute or writes an expression. Each helper
returns a `transactions.Action` on the entity's table, named logically (the transaction resolves the
prefix), and takes `fails_with`: the error its failed condition means, or a function of the entity's
item as it stood (None: there was none), such as `stale(...)` for a versioned write.

Each action also says how its item looks once it applied (`Applied`), so that a write retried after
a lost answer recognises its own earlier success (graphql_api.dynamo.transactions): a create-only put
of a versioned entity, its whole item (its own timestamps to the microsecond); a versioned update
with an expected version, the version it writes, its own UpdatedAt and the values it sets; a delete,
no item. No token is stored on the items for this: the write's own UpdatedAt at the version it
creates already singles it out (two writers cannot both create the same version), and a token would
be an attribute no declaration knows. Puts of unversioned items (guards, order lines) and updates
without an expected version say nothing: their images do not single out one write (they never fail
alone on a retry: each sits in a transaction with an action that does).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol, TypedDict, TypeVar

from graphql_api.clock import format_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, deserialize_value, serialize_item, serialize_value
from graphql_api.dynamo.transactions import Action, Applied, Failure, Transaction, changed_concurrently
from graphql_api.entity import Entity
from graphql_api.errors import ApiError, NotFound, VersionMismatch
from graphql_api.repositories._stamp import current_stamp

T = TypeVar("T")


class Versioned(Protocol):
    @property
    def version(self) -> int: ...


V = TypeVar("V", bound=Versioned)

Fails = Exception | Callable[[T | None], Exception]
"""An action's failure in the entity's terms: an error, or one made from its object as it stood (None: none)."""


async def commit(dynamo: Dynamo, *actions: Action) -> None:
    """The actions as one transaction: all applied, or none and the error of the action whose condition failed."""
    await Transaction(dynamo).add(*actions).commit()


async def insert(dynamo: Dynamo, entity: Entity[T], value: T, *also: Action, taken: Fails[T] | None = None) -> T:
    """`value` as a new item (a create-only put) and the actions that go with it, in one transaction. `taken`: the
    error when its key is taken; by default a concurrent write of the same new item (a new random or time-ordered
    id is never taken otherwise), to retry."""
    await commit(
        dynamo, put_new(entity, value, fails_with=taken or changed_concurrently(entity.model.__name__.lower())), *also
    )
    return value


class Created(TypedDict):
    created_at: datetime
    updated_at: datetime
    version: int


def created(at: datetime) -> Created:
    """A new item's bookkeeping fields: created and updated `at`, version 1 (`Product(..., **created(at))`)."""
    return {"created_at": at, "updated_at": at, "version": 1}


@dataclass(frozen=True)
class Check:
    """One condition on a field of the item written: compared with a value, or present/absent."""

    field: str
    op: Literal["=", "<>", ">=", "<=", "exists", "missing"]
    value: Any = None
    or_missing: bool = False
    """Also true when the item lacks the field (or the item does not exist)."""


def _render(entity: Entity[Any], checks: Sequence[Check], names: dict[str, str], values: dict[str, Any]) -> list[str]:
    parts = []
    for number, check in enumerate(checks):
        name = f"#c{number}"
        names[name] = entity.attribute(check.field)
        if check.op == "missing":
            part = f"attribute_not_exists({name})"
        elif check.op == "exists":
            part = f"attribute_exists({name})"
        else:
            values[f":c{number}"] = entity.stored(check.field, check.value)
            part = f"{name} {check.op} :c{number}"
        parts.append(f"(attribute_not_exists({name}) OR {part})" if check.or_missing else part)
    return parts


def _failure(entity: Entity[T], fails_with: Fails[T]) -> Failure:
    """The failure in DynamoDB's terms: the item as it stood read back as the entity's object."""
    if isinstance(fails_with, Exception):
        return fails_with
    return lambda item: fails_with(entity.from_item(dict(item)) if item else None)


def key_of(entity: Entity[Any], key: tuple[Any, ...]) -> dict[str, Any]:
    return {name: serialize_value(value) for name, value in zip(entity.table.key_names, key, strict=True)}


async def get(dynamo: Dynamo, entity: Entity[T], key: tuple[Any, ...]) -> T | None:
    """One item by key, strongly consistent; None if it does not exist."""
    response = await dynamo.call(
        "get_item",
        TableName=entity.table.physical_name(dynamo.table_prefix),
        Key=key_of(entity, key),
        ConsistentRead=True,
    )
    item = response.get("Item")
    return entity.from_item(deserialize_item(item)) if item else None


def _versioned(entity: Entity[Any]) -> bool:
    return {"version", "updated_at"} <= set(entity.mapping.by_name)


def _as_read(stored: Any) -> Any:
    """A stored value as it reads back from DynamoDB (numbers as Decimal), to compare with a returned item."""
    return None if stored is None else deserialize_value(serialize_value(stored))


def _stamped(entity: Entity[Any]) -> bool:
    """The entity declares `updated_by`: its writes through the API say who made them (the audit trail)."""
    return "updated_by" in entity.mapping.by_name


def put_new(entity: Entity[T], value: T, *, fails_with: Fails[T]) -> Action:
    """A Put that fails (`fails_with`) if an item with the same key exists."""
    stamp = current_stamp() if _stamped(entity) else None
    if stamp is not None:
        value = dataclasses.replace(value, updated_by=stamp)  # type: ignore[type-var]
    item = serialize_item(entity.to_item(value))
    return Action(
        "Put",
        entity.table,
        {
            "Item": item,
            "ConditionExpression": "attribute_not_exists(#key)",
            "ExpressionAttributeNames": {"#key": entity.table.hash_key.name},
        },
        _failure(entity, fails_with),
        Applied(deserialize_item(item)) if _versioned(entity) else None,
    )


def put(entity: Entity[T], value: T) -> Action:
    """A Put with no condition: it replaces any item with the same key (an unversioned item such as a cart line)."""
    return Action(
        "Put",
        entity.table,
        {"Item": serialize_item(entity.to_item(value))},
        changed_concurrently(entity.model.__name__.lower()),  # never its own failure: it has no condition
    )


def versioned_update(
    entity: Entity[T],
    key: tuple[Any, ...],
    *,
    at: datetime,
    fails_with: Fails[T],
    expected_version: int | None = None,
    set_fields: Mapping[str, Any] | None = None,
    add_fields: Mapping[str, int] | None = None,
    checks: Sequence[Check] = (),
) -> Action:
    """An Update that bumps Version and UpdatedAt.

    `set_fields` are assigned (None removes the attribute), `add_fields` are added to numbers (a missing
    number counts as 0). The item must exist; with `expected_version` it must also be at that version,
    and every one of `checks` must hold; else `fails_with`.
    """
    stamp = current_stamp() if _stamped(entity) else None
    if stamp is not None:
        set_fields = {**(set_fields or {}), "updated_by": stamp}
    names = {
        "#version": entity.attribute("version"),
        "#updated": entity.attribute("updated_at"),
        "#key": entity.table.hash_key.name,
    }
    values: dict[str, Any] = {":one": 1, ":updated": format_timestamp(at)}
    assignments = ["#version = #version + :one", "#updated = :updated"]
    removals = []
    for number, (field, value) in enumerate((set_fields or {}).items()):
        names[f"#s{number}"] = entity.attribute(field)
        if value is None:
            removals.append(f"#s{number}")
        else:
            values[f":s{number}"] = entity.stored(field, value)
            assignments.append(f"#s{number} = :s{number}")
    for number, (field, amount) in enumerate((add_fields or {}).items()):
        names[f"#a{number}"] = entity.attribute(field)
        values[f":a{number}"] = amount
        assignments.append(f"#a{number} = if_not_exists(#a{number}, :zero) + :a{number}")
        values[":zero"] = 0
    conditions = ["attribute_exists(#key)"]
    if expected_version is not None:
        conditions.append("#version = :expected")
        values[":expected"] = expected_version
    conditions += _render(entity, checks, names, values)
    expression = "SET " + ", ".join(assignments)
    if removals:
        expression += " REMOVE " + ", ".join(removals)
    applied = None
    if expected_version is not None:
        written = {"version": expected_version + 1, "updated_at": at, **(set_fields or {})}
        applied = Applied(
            {
                entity.attribute(field): None if value is None else _as_read(entity.stored(field, value))
                for field, value in written.items()
            }
        )
    return Action(
        "Update",
        entity.table,
        {
            "Key": key_of(entity, key),
            "UpdateExpression": expression,
            "ConditionExpression": " AND ".join(conditions),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize_item(values),
        },
        _failure(entity, fails_with),
        applied,
    )


def delete_if(
    entity: Entity[T],
    key: tuple[Any, ...],
    *,
    fails_with: Fails[T],
    expected_version: int | None = None,
    checks: Sequence[Check] = (),
) -> Action:
    """A Delete that happens only at `expected_version` and when `checks` hold; else `fails_with`."""
    names: dict[str, str] = {}
    values: dict[str, Any] = {}
    conditions = _render(entity, checks, names, values)
    if expected_version is not None:
        names["#version"] = entity.attribute("version")
        values[":expected"] = expected_version
        conditions.insert(0, "#version = :expected")
    params: dict[str, Any] = {"Key": key_of(entity, key)}
    if conditions:
        params["ConditionExpression"] = " AND ".join(conditions)
        params["ExpressionAttributeNames"] = names
    if values:
        params["ExpressionAttributeValues"] = serialize_item(values)
    return Action("Delete", entity.table, params, _failure(entity, fails_with), Applied(None))


def condition_check(entity: Entity[T], key: tuple[Any, ...], *, fails_with: Fails[T]) -> Action:
    """A ConditionCheck: the item must exist for the transaction to happen; else `fails_with`."""
    return Action(
        "ConditionCheck",
        entity.table,
        {
            "Key": key_of(entity, key),
            "ConditionExpression": "attribute_exists(#key)",
            "ExpressionAttributeNames": {"#key": entity.table.hash_key.name},
        },
        _failure(entity, fails_with),
    )


async def get_at_version(dynamo: Dynamo, entity: Entity[V], key: tuple[Any, ...], expected_version: int) -> V:
    """The item by key (strongly consistent), if it exists at `expected_version`; else NOT_FOUND or VERSION_MISMATCH."""
    current: V | None = await get(dynamo, entity, key)
    return check_version(current, expected_version, entity.model.__name__.lower())


def version_error(current: Versioned | None, expected_version: int, what: str) -> ApiError | None:
    """NOT_FOUND or VERSION_MISMATCH, unless the object exists at the expected version."""
    if current is None:
        return NotFound(f"{what} not found")
    if current.version != expected_version:
        return VersionMismatch(
            f"{what} is at version {current.version}, not {expected_version}: reload it and retry",
            currentVersion=current.version,
        )
    return None


def check_version(current: V | None, expected_version: int, what: str) -> V:
    """The object, if it exists at the expected version; else NOT_FOUND or VERSION_MISMATCH."""
    if current is not None and current.version == expected_version:
        return current
    raise version_error(current, expected_version, what) or changed_concurrently(what)


def stale(what: str, expected_version: int | None = None) -> Callable[[Versioned | None], Exception]:
    """The failure of a write to a versioned object: NOT_FOUND, VERSION_MISMATCH (with the version found), or
    else (another condition failed under the same version) CONFLICT to retry."""

    def failure(current: Versioned | None) -> Exception:
        if expected_version is None:
            return NotFound(f"{what} not found") if current is None else changed_concurrently(what)
        return version_error(current, expected_version, what) or changed_concurrently(what)

    return failure


def add_to(entity: Entity[T], key: tuple[Any, ...], add_fields: Mapping[str, Any]) -> Action:
    """An Update adding `add_fields` to numbers, with no condition: the item is created when missing (a counter).

    Unversioned (ADD commutes: concurrent additions never conflict by condition, only as concurrent transactions).
    """
    names = {f"#a{number}": entity.attribute(field) for number, field in enumerate(add_fields)}
    values = {f":a{number}": entity.stored(field, amount) for number, (field, amount) in enumerate(add_fields.items())}
    return Action(
        "Update",
        entity.table,
        {
            "Key": key_of(entity, key),
            "UpdateExpression": "ADD " + ", ".join(f"#a{number} :a{number}" for number in range(len(add_fields))),
            "ExpressionAttributeNames": names,
            "ExpressionAttributeValues": serialize_item(values),
        },
        changed_concurrently(entity.model.__name__.lower()),  # never its own failure: it has no condition
    )
