"""Checks of arguments several entities' mutations take: an expected version, the customer acted on."""

from __future__ import annotations

from graphql_api.auth.identity import Identity
from graphql_api.errors import NotFound
from graphql_api.validation import check_range

MAX_VERSION = 2**53


def check_version(value: int) -> int:
    return check_range(value, "expectedVersion", 1, MAX_VERSION)


def own_customer(identity: Identity, customer_id: str) -> str:
    """The id, if the caller may act on that customer; another customer's reads as missing (NOT_FOUND)."""
    if not identity.may_see_customer(customer_id):
        raise NotFound("customer not found", field="customerId")
    return customer_id
