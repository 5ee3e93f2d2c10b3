"""Who wrote an item through the API: the `UpdatedBy` stamp the writes put on audited items.

The HTTP view names the caller once its token is verified (`acting_as`); every create-only put and versioned
update of an entity that declares `updated_by` (graphql_api.repositories._writes) then stamps the item with
that actor and a token new to this write. The audit trail (graphql_api.live.audit) reads the stamp from the
stream's images: a new image whose stamp differs from the old one's was written by the API, by that actor;
one without a stamp, or with the old one unchanged, was written outside the API (a console edit, a script).
Deletions carry no image to stamp (graphql_api.repositories.audit says how they are attributed).
"""

from __future__ import annotations

import uuid
from contextvars import ContextVar
from dataclasses import dataclass

_actor: ContextVar[str | None] = ContextVar("write_actor", default=None)


@dataclass(frozen=True)
class Stamp:
    """`UpdatedBy` on an item: who wrote it through the API, and a token that singles out that write."""

    actor: str
    write: str


def acting_as(actor: str | None) -> None:
    """Writes made in this context (the request's task) are stamped as `actor`'s (None: not stamped)."""
    _actor.set(actor)


def actor_name(role: str, subject: str | None) -> str:
    """`admin:<subject>`; `anonymous` (AUTH_MODE=none has no subject: `admin` alone)."""
    return role.lower() if subject is None else f"{role.lower()}:{subject}"


def current_stamp() -> Stamp | None:
    """A new stamp for one write, or None outside a request (the CLI, seeding: written outside the API)."""
    actor = _actor.get()
    return None if actor is None else Stamp(actor, uuid.uuid4().hex[:16])
