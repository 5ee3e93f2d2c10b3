"""Customers: the customer record, its bounded list of addresses (denormalized), lookup by email."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from graphql_api.clock import format_timestamp, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.tables import CUSTOMERS

MAX_ADDRESSES = 5
EMAIL_INDEX = CUSTOMERS.index("EmailIndex")


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postal_code: str
    country: str
    label: str | None = None


@dataclass(frozen=True)
class Customer:
    customer_id: str
    email: str
    name: str
    addresses: tuple[Address, ...]
    order_count: int
    created_at: datetime
    updated_at: datetime
    version: int


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are stored (and looked up) in lower case."""
    return email.strip().lower()


def customer_key(customer_id: str) -> tuple[str]:
    return (customer_id,)


def to_item(customer: Customer) -> Item:
    return {
        "CustomerId": customer.customer_id,
        "Email": customer.email,
        "Name": customer.name,
        "Addresses": [_address_to_map(address) for address in customer.addresses],
        "OrderCount": customer.order_count,
        "CreatedAt": format_timestamp(customer.created_at),
        "UpdatedAt": format_timestamp(customer.updated_at),
        "Version": customer.version,
    }


def from_item(item: Item) -> Customer:
    return Customer(
        customer_id=item["CustomerId"],
        email=item["Email"],
        name=item["Name"],
        addresses=tuple(_address_from_map(entry) for entry in item.get("Addresses", [])),
        order_count=int(item.get("OrderCount", 0)),
        created_at=parse_timestamp(item["CreatedAt"]),
        updated_at=parse_timestamp(item["UpdatedAt"]),
        version=int(item["Version"]),
    )


def _address_to_map(address: Address) -> dict[str, Any]:
    entry = {
        "Street": address.street,
        "City": address.city,
        "PostalCode": address.postal_code,
        "Country": address.country,
    }
    if address.label is not None:
        entry["Label"] = address.label
    return entry


def _address_from_map(entry: dict[str, Any]) -> Address:
    return Address(
        label=entry.get("Label"),
        street=entry["Street"],
        city=entry["City"],
        postal_code=entry["PostalCode"],
        country=entry["Country"],
    )


async def find_by_email(dynamo: Dynamo, email: str) -> Customer | None:
    """AP2: Query EmailIndex (emails are unique, so at most one item matches)."""
    response = await dynamo.call(
        "query",
        TableName=CUSTOMERS.physical_name(dynamo.table_prefix),
        IndexName=EMAIL_INDEX.name,
        KeyConditionExpression="Email = :email",
        ExpressionAttributeValues=serialize_item({":email": normalize_email(email)}),
        Limit=1,
    )
    items = response.get("Items", [])
    return from_item(deserialize_item(items[0])) if items else None
