"""The audit trail (SPEC 15): `auditLog(entityId:)`, an item's changes newest first, for admins only.

The entries are written from the streams, never by a request (graphql_api.live.audit); this module only reads
them. They hold personal data (a customer's email and addresses, before and after), so nobody but an admin
reads them: a customer or staff member is FORBIDDEN, an anonymous caller UNAUTHENTICATED.
"""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.auth.identity import Role
from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.fields import query
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, paginate
from graphql_api.graphql.price import costs
from graphql_api.live import audit as live_audit
from graphql_api.repositories import audit

ADMINS = frozenset({Role.ADMIN})

# The streams' readers (graphql_api.live, below the repositories) learn here which tables they record, and how.
live_audit.register(audit.AUDITED, audit.record_change)

MOST_FIELDS = max(len(entity.mapping.fields) for entity in audit.AUDITED)
"""The most fields an entry can list: every attribute of the widest audited entity (an insert or a removal)."""

AuditChangeKind = strawberry.enum(audit.ChangeKind, name="AuditChangeKind")


@follows_parent
@strawberry.type
class AuditFieldChange(DomainType):
    field: str = strawberry.field(description="The attribute as stored (`Email`, `Status`).")
    before: str | None = strawberry.field(description="Its value before, as JSON text; null: it had none.")
    after: str | None = strawberry.field(description="Its value after, as JSON text; null: it has none.")


@follows_parent
@strawberry.type
class AuditEntry:
    entity_id: strawberry.ID
    table: str = strawberry.field(description="The changed item's table: Customers, Orders, Products or Reviews.")
    kind: AuditChangeKind  # type: ignore[valid-type]
    actor: str = strawberry.field(
        description=f"Who made it through the API (`admin:<subject>`, `customer:<subject>`, ...); "
        f'"{audit.OUTSIDE_THE_API}" for a write that bypassed the API, "{audit.DELETED}" for a deletion.'
    )
    changed_at: datetime
    changes: list[AuditFieldChange] = strawberry.field(
        description="The fields it changed, each before and after (Version, UpdatedAt and UpdatedBy left out).",
        metadata=costs("plain", MOST_FIELDS),
    )

    @classmethod
    def from_domain(cls, entry: audit.AuditEntry) -> AuditEntry:
        return cls(
            entity_id=strawberry.ID(entry.entity_id),
            table=entry.table,
            kind=entry.kind,
            actor=entry.actor,
            changed_at=entry.changed_at,
            changes=[AuditFieldChange.from_domain(change) for change in entry.changes],
        )


@strawberry.type
class AuditQuery:
    @query(
        ADMINS,
        costs("listing"),
        (
            "AP14: the changes of a customer, order, product or review (by its id), newest first; admins "
            "only. Written from the streams a moment after each change, kept AUDIT_RETENTION_DAYS."
        ),
    )
    async def audit_log(
        self, info: Info, entity_id: strawberry.ID, first: int | None = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[AuditEntry]:
        return await paginate(info, audit.OF_ENTITY, str(entity_id), AuditEntry.from_domain, first=first, after=after)


ROOTS = Roots(
    audit.AUDIT_LOG,
    query=AuditQuery,
    samples={"AP14": "query($c: ID!) { auditLog(entityId: $c, first: 5) { edges { node { actor kind changedAt } } } }"},
)
