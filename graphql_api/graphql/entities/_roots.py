"""What an entity's module adds to the schema (its ROOTS), and the merge of the parts into the root types.

An entity's module is the whole of its GraphQL side: its types, its Query, Mutation and Subscription parts,
the fields it adds to the types of the entities it belongs to (`adds`: a customer's cart is declared by the
cart's module, not the customer's), and the GraphQL document that exercises each of its listings (`samples`,
run by `graphql-api check-patterns`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from strawberry.tools import merge_types
from strawberry.types.base import get_object_definition

from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity


@dataclass(frozen=True)
class Roots:
    """An entity's declaration and the Strawberry types it contributes (None: contributes none)."""

    entity: Entity[Any]
    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    adds: Mapping[type, type] = field(default_factory=dict)
    """Fields added to other entities' types: {Customer: CustomerCart} adds CustomerCart's fields to Customer."""
    samples: Mapping[str, str] = field(default_factory=dict)
    """The GraphQL document exercising each of the entity's listings, by access pattern (`check-patterns`)."""
    deleted_with: Mapping[Entity[Any], Callable[[Dynamo, str], Awaitable[None]]] = field(default_factory=dict)
    """What this entity's items go with: {CUSTOMERS: carts.clear} empties a customer's cart when it is deleted."""

    def register(self) -> None:
        """Adds its fields to the other entities' types and its deletions to theirs; once, before any schema is
        built (graphql_api.graphql.registry)."""
        for owner, cleanup in self.deleted_with.items():
            if cleanup not in owner.on_delete:
                owner.on_delete.append(cleanup)
        for target, part in self.adds.items():
            fields = get_object_definition(target, strict=True).fields
            present = {existing.python_name for existing in fields}
            added = [new for new in get_object_definition(part, strict=True).fields if new.python_name not in present]
            fields.extend(added)


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
