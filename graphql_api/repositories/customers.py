"""Customers: the customer record, its bounded list of addresses (denormalized), lookup by email (AP2).

Emails are unique among customers, case-insensitively (declared `unique`): a guard item in CustomerEmails,
keyed by the lower-cased email, is written in the same transaction as the customer (a GSI cannot enforce it).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Action, changed_concurrently
from graphql_api.entity import Entity, Unique
from graphql_api.errors import ApiError, Conflict, NotFound
from graphql_api.ids import customer_id_for
from graphql_api.repositories._access import uses
from graphql_api.repositories._stamp import Stamp
from graphql_api.repositories._unique import claim, release
from graphql_api.repositories._writes import (
    Check,
    commit,
    created,
    delete_if,
    get,
    get_at_version,
    insert,
    stale,
    version_error,
    versioned_update,
)

MAX_ADDRESSES = 5


@dataclass(frozen=True)
class Address:
    street: str
    city: str
    postal_code: str
    country: str
    label: str | None = None


@dataclass(frozen=True, kw_only=True)
class Customer:
    customer_id: str
    email: str
    name: str
    addresses: tuple[Address, ...] = ()
    order_count: int = 0
    """Kept in the placeOrder transaction, never counted."""
    created_at: datetime
    updated_at: datetime
    version: int
    updated_by: Stamp | None = None
    """Who wrote it last through the API (graphql_api.repositories._stamp): the audit trail's actor."""
    subject: str | None = None
    """The identity this customer is bound to (graphql_api.auth.identity); None when created by staff."""


CUSTOMERS = Entity(
    Customer,
    "Customers",
    key=("customer_id",),
    stream="NEW_AND_OLD_IMAGES",  # the audit trail (graphql_api.live.audit)
    id_prefix="cus",
    indexes={"EmailIndex": ("email",)},
    unique=Unique(
        ("email",),
        guard_table="CustomerEmails",
        reserved_by="email-guard",
        reserves="guard-customer",
        description="an email, lower-cased, is one customer's",
    ),
    filterable=("name", "created_at", "order_count"),  # beyond its listings' keys (graphql_api.planner)
)
EMAIL_GUARD = CUSTOMERS.guard()
CUSTOMER_EMAILS = EMAIL_GUARD.entity
"""The guard table derived from `unique`: an item keyed by the email, naming its customer."""
BY_EMAIL = CUSTOMERS.listing("EmailIndex", pattern="AP2", purpose="Customer by email")
"""AP2: Query EmailIndex (emails are unique, so at most one item matches)."""


def normalize_email(email: str) -> str:
    """Emails are unique case-insensitively, so they are stored (and looked up) in lower case."""
    return email.strip().lower()


async def find_by_email(dynamo: Dynamo, email: str) -> Customer | None:
    page = await BY_EMAIL.page(dynamo, normalize_email(email), first=1, after=None, read_budget=1)
    return page.entries[0][0] if page.entries else None


def email_guards(customers: list[Customer]) -> list[Any]:
    """The guards that reserve these customers' emails (for bulk loads)."""
    return [EMAIL_GUARD.of(customer) for customer in customers]


def _release_guard(customer: Customer) -> Action:
    return release(EMAIL_GUARD, customer, fails_with=changed_concurrently("customer"))


def _reserve(customer: Customer) -> Action:
    taken = Conflict(f"email: {customer.email} is already used by another customer", field="email")
    return claim(EMAIL_GUARD, customer, fails_with=taken)


def _undeletable(customer: Customer | None, expected_version: int) -> ApiError | None:
    """Why `customer` cannot be deleted at `expected_version`, the same before the write and after its failed
    condition: orders first (reloading the version would not make the delete possible), then NOT_FOUND or
    VERSION_MISMATCH."""
    if customer is not None and customer.order_count:
        return Conflict(f"customer has {customer.order_count} orders and cannot be deleted")
    return version_error(customer, expected_version, "customer")


@uses(
    "The customer and the guard reserving its email, both create-only, in one transaction.",
    PutItem=(CUSTOMERS, CUSTOMER_EMAILS),
)
async def create(
    dynamo: Dynamo, *, email: str, name: str, addresses: tuple[Address, ...], subject: str | None = None
) -> Customer:
    """A new customer and the guard reserving its email, in one transaction.

    With `subject`, the customer is bound to that identity: its id is derived from it, so the create-only
    put makes a second customer for the same identity fail (CONFLICT), however many race.
    """
    at = now()
    customer = Customer(
        customer_id=customer_id_for(subject) if subject else CUSTOMERS.new_id(),
        email=normalize_email(email),
        name=name,
        addresses=addresses,
        **created(at),
        subject=subject,
    )
    taken = Conflict("you already have a customer: use `me` to read it")
    return await insert(dynamo, CUSTOMERS, customer, _reserve(customer), taken=taken)


@uses(
    "Read the customer at its version, update it; a new email deletes the old guard and puts the new one in the "
    "same transaction.",
    GetItem=CUSTOMERS,
    UpdateItem=CUSTOMERS,
    DeleteItem=CUSTOMER_EMAILS,
    PutItem=CUSTOMER_EMAILS,
)
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
    key = CUSTOMERS.key(customer_id)
    current = await get_at_version(dynamo, CUSTOMERS, key, expected_version)
    at = now()
    changed = replace(
        current,
        email=normalize_email(email) if email is not None else current.email,
        name=name if name is not None else current.name,
        addresses=addresses if addresses is not None else current.addresses,
        updated_at=at,
        version=current.version + 1,
    )
    # A new email moves its guard in the same transaction.
    guards = (_release_guard(current), _reserve(changed)) if changed.email != current.email else ()
    await commit(
        dynamo,
        versioned_update(
            CUSTOMERS,
            key,
            at=at,
            expected_version=expected_version,
            set_fields={"email": changed.email, "name": changed.name, "addresses": changed.addresses},
            fails_with=stale("customer", expected_version),
        ),
        *guards,
    )
    return changed


@uses(
    "Read the customer at its version, delete it and its email guard in one transaction.",
    GetItem=CUSTOMERS,
    DeleteItem=(CUSTOMERS, CUSTOMER_EMAILS),
)
async def delete(dynamo: Dynamo, customer_id: str, expected_version: int) -> None:
    """Delete a customer without orders, releasing its email in the same transaction."""
    key = CUSTOMERS.key(customer_id)
    current = await get(dynamo, CUSTOMERS, key)
    refusal = _undeletable(current, expected_version)
    if refusal is not None or current is None:  # a missing customer is always refused (NOT_FOUND)
        raise refusal or NotFound("customer not found")
    await commit(
        dynamo,
        delete_if(
            CUSTOMERS,
            key,
            expected_version=expected_version,
            checks=[Check("order_count", "=", 0, or_missing=True)],
            fails_with=lambda latest: _undeletable(latest, expected_version) or changed_concurrently("customer"),
        ),
        _release_guard(current),
    )
    # Then what it owned (its cart): declared by the owning entities (Entity.on_delete).
    for cleanup in CUSTOMERS.on_delete:
        await cleanup(dynamo, customer_id)
