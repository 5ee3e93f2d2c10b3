"""The physical shape of a table: its keys, key types and GSIs (CreateTable, verify, Terraform).

The tables themselves are not written here: each is derived from its entity's declaration
(graphql_api.entity, graphql_api.repositories); `graphql_api.repositories.ALL_TABLES` lists them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any, Literal

KeyType = Literal["S", "N", "B"]


@dataclass(frozen=True)
class Key:
    name: str
    type: KeyType = "S"


@dataclass(frozen=True)
class Index:
    """A global secondary index: one access pattern, one descriptive name."""

    name: str
    hash_key: Key
    range_key: Key | None = None
    projection: Literal["ALL", "KEYS_ONLY", "INCLUDE"] = "ALL"
    non_key_attributes: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[Key, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)


StreamView = Literal["NEW_AND_OLD_IMAGES", "NEW_IMAGE", "OLD_IMAGE", "KEYS_ONLY"]


@dataclass(frozen=True)
class Table:
    name: str
    hash_key: Key
    range_key: Key | None = None
    indexes: tuple[Index, ...] = ()
    stream: StreamView | None = None
    """A DynamoDB stream of the table's changes (what subscriptions read), and what its records hold."""
    ttl_attribute: str | None = None
    """The attribute DynamoDB's time to live reads (epoch seconds), or None: items never expire."""

    def __hash__(self) -> int:
        # Tables are keys of every request's loads (graphql_api.dynamo.batch_get): hashing every field each time
        # showed in profiles. A table's name is unique, and equal tables have equal names.
        return hash(self.name)

    @cached_property
    def keys(self) -> tuple[Key, ...]:
        return (self.hash_key,) if self.range_key is None else (self.hash_key, self.range_key)

    @cached_property
    def key_names(self) -> tuple[str, ...]:
        return tuple(key.name for key in self.keys)

    def physical_name(self, prefix: str) -> str:
        return f"{prefix}{self.name}"

    def index(self, name: str) -> Index:
        for index in self.indexes:
            if index.name == name:
                return index
        raise KeyError(f"{self.name} has no index {name}")

    def position_attributes(self, index: Index | None) -> tuple[str, ...]:
        """The attributes that locate an item in a listing: DynamoDB's LastEvaluatedKey shape."""
        names = [key.name for key in index.keys] if index else []
        return tuple(dict.fromkeys([*names, *self.key_names]))

    def attribute_definitions(self) -> list[dict[str, str]]:
        keys = {key.name: key.type for key in self.keys}
        for index in self.indexes:
            keys.update({key.name: key.type for key in index.keys})
        return [{"AttributeName": name, "AttributeType": type_} for name, type_ in keys.items()]

    def create_table_params(self, prefix: str) -> dict[str, Any]:
        """CreateTable parameters for this declaration (on-demand billing, as Terraform does)."""
        params: dict[str, Any] = {
            "TableName": self.physical_name(prefix),
            "KeySchema": _key_schema(self.keys),
            "AttributeDefinitions": self.attribute_definitions(),
            "BillingMode": "PAY_PER_REQUEST",
        }
        if self.indexes:
            params["GlobalSecondaryIndexes"] = [_index_params(index) for index in self.indexes]
        if self.stream:
            params["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": self.stream}
        return params

    def time_to_live_params(self, prefix: str) -> dict[str, Any] | None:
        """UpdateTimeToLive parameters (after CreateTable: CreateTable cannot set it), or None without TTL."""
        if self.ttl_attribute is None:
            return None
        return {
            "TableName": self.physical_name(prefix),
            "TimeToLiveSpecification": {"Enabled": True, "AttributeName": self.ttl_attribute},
        }


def _key_schema(keys: tuple[Key, ...]) -> list[dict[str, str]]:
    roles = ("HASH", "RANGE")
    return [{"AttributeName": key.name, "KeyType": role} for key, role in zip(keys, roles, strict=False)]


def _index_params(index: Index) -> dict[str, Any]:
    projection: dict[str, Any] = {"ProjectionType": index.projection}
    if index.non_key_attributes:
        projection["NonKeyAttributes"] = list(index.non_key_attributes)
    return {"IndexName": index.name, "KeySchema": _key_schema(index.keys), "Projection": projection}
