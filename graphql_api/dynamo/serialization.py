"""Plain Python values <-> DynamoDB attribute values.

Numbers are always `Decimal` (never float), so money stays exact. This is a small, direct
replacement for boto3's TypeSerializer/TypeDeserializer covering the types this service stores.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

AttributeValue = dict[str, Any]
Item = dict[str, Any]


def serialize_value(value: Any) -> AttributeValue:
    if isinstance(value, str):
        return {"S": value}
    if isinstance(value, bool):
        return {"BOOL": value}
    if isinstance(value, int | Decimal):
        return {"N": str(value)}
    if value is None:
        return {"NULL": True}
    if isinstance(value, Mapping):
        return {"M": {key: serialize_value(inner) for key, inner in value.items()}}
    if isinstance(value, list | tuple):
        return {"L": [serialize_value(inner) for inner in value]}
    if isinstance(value, float):
        raise TypeError("floats are not stored: use Decimal so that numbers stay exact")
    raise TypeError(f"cannot store a value of type {type(value).__name__}")


def deserialize_value(attribute: AttributeValue) -> Any:
    # Strings and numbers first, by key: nearly every value read is one (a canonical page reads about 1,300).
    if "S" in attribute:
        return attribute["S"]
    if "N" in attribute:
        return Decimal(attribute["N"])
    ((kind, value),) = attribute.items()
    if kind == "BOOL":
        return value
    if kind == "NULL":
        return None
    if kind == "M":
        return {key: deserialize_value(inner) for key, inner in value.items()}
    if kind == "L":
        return [deserialize_value(inner) for inner in value]
    if kind == "SS":
        return set(value)
    if kind == "NS":
        return {Decimal(number) for number in value}
    raise TypeError(f"unsupported attribute type {kind}")


def serialize_item(item: Mapping[str, Any]) -> dict[str, AttributeValue]:
    """An item to store; attributes that are None are left out rather than stored as NULL."""
    return {name: serialize_value(value) for name, value in item.items() if value is not None}


def deserialize_item(attributes: Mapping[str, AttributeValue]) -> Item:
    return {name: value["S"] if "S" in value else deserialize_value(value) for name, value in attributes.items()}
