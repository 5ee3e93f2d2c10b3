"""Global Object Identification (Relay): the `Node` interface and its opaque global ids.

A global id is the unpadded URL-safe base64 of `Type:key`, the entity's key fields joined by `:`
(`Customer:cus_...`, `Review:prd_...:rev_...`). Opaque to clients by contract, not by secrecy: whoever reads it
learns only the entity id the object shows anyway, and `node(id:)` applies the entity's own access rule
(graphql_api.graphql.node), so forging one reaches nothing the caller could not reach by the entity id.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

import strawberry

from graphql_api.entity import Entity
from graphql_api.errors import BadUserInput
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS

NODE_ENTITIES: dict[str, Entity[Any]] = {"Customer": CUSTOMERS, "Order": ORDERS, "Product": PRODUCTS, "Review": REVIEWS}
"""The GraphQL types that are nodes, and the entity whose key their global id carries."""

_KEY_ENTITIES: dict[str, tuple[Entity[Any], ...]] = {"Review": (PRODUCTS, REVIEWS)}
"""Whose id shape each part of a composite key has (a review's key is its product's id, then its own)."""


def global_id(type_name: str, key: tuple[str, ...]) -> str:
    text = ":".join((type_name, *key))
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def parse_global_id(value: str) -> tuple[str, tuple[str, ...]]:
    """The type and key a global id names, each key part checked against its entity's id shape; else
    BAD_USER_INPUT naming `id`."""
    invalid = BadUserInput("id", "not a global id of this API (an object's `id` field gives one)")
    try:
        text = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise invalid from None
    type_name, *key = text.split(":")
    entity = NODE_ENTITIES.get(type_name)
    if entity is None or len(key) != len(entity.key_fields):
        raise invalid
    for part, owner in zip(key, _KEY_ENTITIES.get(type_name, (entity,)), strict=True):
        if not owner.is_id(part):
            raise invalid
    return type_name, tuple(key)


@strawberry.interface(description="An object with a global id: `node(id:)` gives it back (Relay).")
class Node:
    @strawberry.field(description="Opaque and global: the type and key of the object; `node(id:)` reads it.")
    def id(self) -> strawberry.ID:
        name = type(self).__name__
        key = tuple(str(getattr(self, field)) for field in NODE_ENTITIES[name].key_fields)
        return strawberry.ID(global_id(name, key))
