"""Identifier shapes: a prefix of three lowercase letters (each entity declares its own: `cus_`, `ord_`, `prd_`,
`rev_`) followed by 32 lowercase hex digits; order lines `001`..`025`.

Review ids sort by time (`new_time_ordered_id`): their first 12 hex digits are the milliseconds since the
epoch, the other 20 random, so a product's reviews in key order are in the order they were written.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
import uuid

Kind = str
"""An id prefix, as an entity declares it (graphql_api.entity.Entity's `id_prefix`)."""

_PREFIX = re.compile(r"^[a-z]{3}$")
_SHAPE = re.compile(r"^([a-z]{3})_[0-9a-f]{32}$")


def is_prefix(kind: str) -> bool:
    return _PREFIX.match(kind) is not None


def new_id(kind: Kind) -> str:
    return f"{kind}_{uuid.uuid4().hex}"


def customer_id_for(subject: str) -> str:
    """The id of the customer bound to the sign-in `subject` (graphql_api.auth.identity): `cus_` and 128 bits of
    its SHA-256. Here, beside the other id shapes, so that the repositories derive it without knowing of auth."""
    digest = hashlib.sha256(b"customer-of\x00" + subject.encode()).hexdigest()
    return f"cus_{digest[:32]}"


def new_time_ordered_id(kind: Kind, at_ms: int | None = None) -> str:
    """An id whose string order is creation order (to the millisecond; random within one)."""
    millis = int(time.time() * 1000) if at_ms is None else at_ms
    return f"{kind}_{millis:012x}{secrets.token_hex(10)}"


def is_id(kind: Kind, value: str) -> bool:
    match = _SHAPE.match(value)
    return match is not None and match.group(1) == kind


def describe(kind: Kind) -> str:
    return f"expected '{kind}_' followed by 32 lowercase hex digits"
