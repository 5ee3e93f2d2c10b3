"""`graphql-api audit erase ID`: delete every audit entry of one customer, order, product or review (personal data)."""

from __future__ import annotations

import argparse

from graphql_api.cli.command import Command, Group, argument
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.repositories import audit
from graphql_api.settings import Settings


def erase(settings: Settings, args: argparse.Namespace) -> int:
    deleted: int = with_dynamo(settings, lambda dynamo: audit.erase(dynamo, args.entity_id))
    print(f"audit erase: {deleted} entries of {args.entity_id} deleted", flush=True)
    return 0


AUDIT = Group(
    "audit",
    help="the audit trail (AuditLog)",
    commands=(
        Command(
            "erase",
            help="delete every audit entry of one entity (a customer's trail, on request: personal data)",
            description="Delete every AuditLog entry whose EntityId is ID (the customer's, order's, product's or "
            "review's own id). Erasing a customer's trail erases the entries of the customer item; the trails of "
            "their orders and reviews are erased by their own ids (docs/observability.md#audit-trail).",
            run=erase,
            arguments=(argument("entity_id", metavar="ID", help="cus_..., ord_..., prd_... or rev_..."),),
        ),
    ),
)
