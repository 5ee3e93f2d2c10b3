"""What an entity's module adds to the schema's roots (its Query, Mutation and Subscription parts), and their merge."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition


@dataclass(frozen=True)
class Roots:
    """Strawberry types whose fields are merged into Query, Mutation and Subscription (None: adds none)."""

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None


def merge(name: str, parts: Iterable[type | None]) -> type:
    """One root type with the fields of `parts` in their order; a field two parts declare is an error.

    (Strawberry's merge_types only warns, and the later part's field would silently win.)
    """
    types = tuple(part for part in parts if part is not None)
    declared = Counter(field.name for part in types for field in get_object_definition(part, strict=True).fields)
    twice = sorted(field for field, count in declared.items() if count > 1)
    if twice:
        raise TypeError(f"{name} fields declared by more than one entity: {', '.join(twice)}")
    return merge_types(name, types)
