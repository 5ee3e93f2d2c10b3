"""The transaction items of a declared `Unique` (graphql_api.entity): claiming and releasing an item's guard.

Derived from the declaration, so every unique field is kept the same way: the guard is put create-only (a
taken value fails the transaction) and deleted only while it still reserves for the same item.
"""

from __future__ import annotations

from typing import Any, TypeVar

from graphql_api.dynamo.transactions import Action
from graphql_api.entity import Guard
from graphql_api.repositories._writes import Check, Fails, delete_if, put_new

T = TypeVar("T")


def claim(guard: Guard[T], value: T, *, fails_with: Fails[Any]) -> Action:
    """Put the guard reserving `value`'s unique fields; `fails_with` when another item holds them."""
    return put_new(guard.entity, guard.of(value), fails_with=fails_with)


def release(guard: Guard[T], value: T, *, fails_with: Fails[Any]) -> Action:
    """Delete the guard of `value`'s unique fields if it reserves them for `value` (or is missing: data loaded
    before guards existed has nothing to release); `fails_with` when it reserves them for another item."""
    item = guard.of(value)
    return delete_if(
        guard.entity,
        guard.entity.key_of(item),
        checks=[Check(name, "=", getattr(item, name), or_missing=True) for name in guard.owner_fields],
        fails_with=fails_with,
    )
