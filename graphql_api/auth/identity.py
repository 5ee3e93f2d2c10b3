"""Who is calling: the identity a verified token proves, its role, and the customer bound to it.

A customer created by a signed-in customer gets an id derived from the token's issuer and `sub`
(`customer_id_for`). So the binding needs no table of its own: `me` is one load by key (AP11,
inside the canonical query's budget of 4 requests), "one customer per identity" is the
create-only condition on that key (atomic under any concurrency), and "is this customer mine?"
is decided from the token alone, before any DynamoDB request.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from graphql_api.ids import customer_id_for

__all__ = ["ANONYMOUS", "OPEN_ACCESS", "Identity", "Role", "customer_id_for", "subject_of"]


class Role(enum.IntEnum):
    """Ordered: a higher role is not implied to include a lower one's rights (see graphql.access)."""

    ANONYMOUS = 0
    CUSTOMER = 1
    STAFF = 2
    ADMIN = 3


def subject_of(issuer: str, sub: str) -> str:
    """The identity a token proves: its issuer and `sub` together (a `sub` is unique per issuer only)."""
    return f"{issuer}#{sub}"


@dataclass(frozen=True)
class Identity:
    role: Role
    subject: str | None = None
    """`subject_of(iss, sub)` for a verified token; None for anonymous callers and AUTH_MODE=none."""
    customer_id: str | None = None
    """The id of this identity's own customer (which may not exist yet): `customer_id_for(subject)`."""

    @classmethod
    def signed_in_as(cls, role: Role, subject: str) -> Identity:
        return cls(role, subject, customer_id_for(subject))

    @property
    def signed_in(self) -> bool:
        return self.role is not Role.ANONYMOUS

    @property
    def is_staff(self) -> bool:
        """Staff and admin see and act on every customer's data."""
        return self.role >= Role.STAFF

    def may_see_customer(self, customer_id: str) -> bool:
        """Decided from the token alone: staff see any customer, a customer only their own."""
        return self.is_staff or (self.customer_id is not None and customer_id == self.customer_id)


ANONYMOUS = Identity(Role.ANONYMOUS)
OPEN_ACCESS = Identity(Role.ADMIN)
"""Every caller under AUTH_MODE=none: the API is open (logged loudly at start)."""
