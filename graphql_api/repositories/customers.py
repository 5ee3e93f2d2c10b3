"""Customers: the customer record, its bounded list of addresses (denormalized), lookup by email."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from graphql_api import ids
from graphql_api.auth.identity import customer_id_for
from graphql_api.clock import format_timestamp, now, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.dynamo.transactions import TransactionCancelled, write
from graphql_api.errors import Conflict
from graphql_api.repositories._writes import check_version, delete_if, get_item, put_new, versioned_update
from graphql_api.tables import CUSTOMER_EMAILS, CUSTOMERS

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
    subject: str | None = None
    """The identity this customer is bound to (graphql_api.auth.identity); None when created by staff."""


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are stored (and looked up) in lower case."""
    return email.strip().lower()


def customer_key(customer_id: str) -> tuple[str]:
    return (customer_id,)


def to_item(customer: Customer) -> Item:
    item: Item = {
        "CustomerId": customer.customer_id,
        "Email": customer.email,
        "Name": customer.name,
        "Addresses": [_address_to_map(address) for address in customer.addresses],
        "OrderCount": customer.order_count,
        "CreatedAt": format_timestamp(customer.created_at),
        "UpdatedAt": format_timestamp(customer.updated_at),
        "Version": customer.version,
    }
    if customer.subject is not None:
        item["Subject"] = customer.subject
    return item


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
        subject=item.get("Subject"),
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


def _email_guard(email: str, customer_id: str) -> Item:
    return {"Email": email, "CustomerId": customer_id}


def email_guards(customers: list[Customer]) -> list[Item]:
    """The CustomerEmails items that reserve these customers' emails (for bulk loads)."""
    return [_email_guard(customer.email, customer.customer_id) for customer in customers]


def _release_guard(dynamo: Dynamo, email: str, customer_id: str) -> dict[str, Any]:
    # A missing guard (data loaded before guards existed) is nothing to release.
    return delete_if(
        dynamo, CUSTOMER_EMAILS, (email,), "attribute_not_exists(Email) OR CustomerId = :me", {":me": customer_id}
    )


def _email_taken(email: str) -> Conflict:
    return Conflict(f"email: {email} is already used by another customer", field="email")


async def create(
    dynamo: Dynamo, *, email: str, name: str, addresses: tuple[Address, ...], subject: str | None = None
) -> Customer:
    """A new customer and the guard reserving its email, in one transaction.

    With `subject`, the customer is bound to that identity: its id is derived from it, so the create-only
    put makes a second customer for the same identity fail (CONFLICT), however many race.
    """
    at = now()
    customer = Customer(
        customer_id=customer_id_for(subject) if subject else ids.new_id("cus"),
        email=normalize_email(email),
        name=name,
        addresses=addresses,
        order_count=0,
        created_at=at,
        updated_at=at,
        version=1,
        subject=subject,
    )
    try:
        await write(
            dynamo,
            [
                put_new(dynamo, CUSTOMERS, to_item(customer)),
                put_new(dynamo, CUSTOMER_EMAILS, _email_guard(customer.email, customer.customer_id)),
            ],
        )
    except TransactionCancelled as cancelled:
        if cancelled.failed(0):
            raise Conflict("you already have a customer: use `me` to read it") from None
        if cancelled.failed(1):
            raise _email_taken(customer.email) from None
        raise
    return customer


async def update(
    dynamo: Dynamo,
    customer_id: str,
    expected_version: int,
    *,
    email: str | None = None,
    name: str | None = None,
    addresses: tuple[Address, ...] | None = None,
) -> Customer:
    """Change any of email, name and addresses (None: unchanged). A new email moves the guard atomically."""
    current = from_item(
        check_version(await get_item(dynamo, CUSTOMERS, customer_key(customer_id)), expected_version, "customer")
    )
    at = now()
    changed = replace(
        current,
        email=normalize_email(email) if email is not None else current.email,
        name=name if name is not None else current.name,
        addresses=addresses if addresses is not None else current.addresses,
        updated_at=at,
        version=current.version + 1,
    )
    item = to_item(changed)
    actions = [
        versioned_update(
            dynamo,
            CUSTOMERS,
            customer_key(customer_id),
            at=at,
            expected_version=expected_version,
            set_values={attribute: item[attribute] for attribute in ("Email", "Name", "Addresses")},
        )
    ]
    moves_email = changed.email != current.email
    if moves_email:
        actions.append(_release_guard(dynamo, current.email, customer_id))
        actions.append(put_new(dynamo, CUSTOMER_EMAILS, _email_guard(changed.email, customer_id)))
    try:
        await write(dynamo, actions)
    except TransactionCancelled as cancelled:
        if moves_email and cancelled.failed(2):
            raise _email_taken(changed.email) from None
        check_version(await get_item(dynamo, CUSTOMERS, customer_key(customer_id)), expected_version, "customer")
        raise Conflict("customer changed concurrently; retry") from None
    return changed


async def delete(dynamo: Dynamo, customer_id: str, expected_version: int) -> None:
    """Delete a customer without orders, releasing its email in the same transaction."""
    current = from_item(
        check_version(await get_item(dynamo, CUSTOMERS, customer_key(customer_id)), expected_version, "customer")
    )
    if current.order_count:
        raise Conflict(f"customer has {current.order_count} orders and cannot be deleted")
    actions = [
        delete_if(
            dynamo,
            CUSTOMERS,
            customer_key(customer_id),
            "#version = :expected AND (attribute_not_exists(OrderCount) OR OrderCount = :zero)",
            {":expected": expected_version, ":zero": 0},
            names={"#version": "Version"},
        ),
        _release_guard(dynamo, current.email, customer_id),
    ]
    try:
        await write(dynamo, actions)
    except TransactionCancelled:
        latest = check_version(
            await get_item(dynamo, CUSTOMERS, customer_key(customer_id)), expected_version, "customer"
        )
        if int(latest.get("OrderCount", 0)):
            raise Conflict("customer has orders and cannot be deleted") from None
        raise Conflict("customer changed concurrently; retry") from None
