"""The service's DynamoDB access, declared per code path: the data of its IAM policy (exactly these grants).

Each `Access` below names a piece of the service (a resolver's repository function, the loaders, a listing,
`/readyz`, the stream readers) and the IAM actions it needs on which table, index or stream. Table and
index names come from the entity declarations (graphql_api.repositories), never from strings. Derived, not
restated: a Query grant per declared listing (`Entity.listing`, `repositories.LISTINGS`), and the grants of
each repository write from what it declares beside it (`@uses`, `repositories.WRITES`); written here are
only the loaders', `/readyz`'s and the stream readers'. The grants
are written to infra_terraform/dynamodb_access.auto.tfvars.json, which Terraform loads by itself into
`var.dynamodb_access`; infra_terraform/service.tf turns each into an ARN (the table's, the table's with
`/index/<name>`, or the table's stream) and modules/lambda_service makes the role's policy of exactly those
pairs. Regenerate it whenever a declaration below changes (tests/terraform fails while it is stale):

    python -m graphql_api.ops.iam_policy > infra_terraform/dynamodb_access.auto.tfvars.json

IAM authorizes actions, not API operations. A TransactWriteItems needs, on each table it touches, the action
of each of its parts: PutItem, UpdateItem, DeleteItem, ConditionCheckItem (there is no IAM action for the
transaction itself); a single write (a one-action graphql_api.dynamo.transactions.Transaction, sent as a
plain write) needs the same action. A Query on
an index is authorized on the index's ARN, not the table's. The stream reads are authorized on the stream's
ARN. `grants_of_call` maps one call to its grants the same way: the integration suite records the calls the
service really makes (tests/integration/conftest.py) and `compare` checks them against this declaration in
both directions.

Parts, because they run in different places: `API` is everything a request does (GraphQL and
`/readyz`): the Lambda function's role gets exactly that. `SUBSCRIPTIONS` is what the stream readers do
(graphql_api.live): a long-running `graphql-api serve` without LIVE_BUS reads the streams itself (its role
needs both parts); with LIVE_BUS the instances need `API` only and `graphql-api relay` reads the streams
under its shard leases (its role needs `SUBSCRIPTIONS`). The Lambda stream consumer (live_bus.tf) is
granted its stream reads by Terraform itself: its event source mapping, not our code, calls DynamoDB.
`MIGRATION_PART` (`migration`) is what a request does on the single table during the migration to
single-table (dual-write's twins and reads, the reads moved by `migrate reads`), derived from the layout:
Terraform gives it to the Lambda role with `single_table_enabled` only, and likewise the single table's
stream readers' grants (in SUBSCRIPTIONS).

Not listed, on purpose: the operator's commands (`tables create|verify`, `seed`, `explore`,
`check-patterns`, `backfill`, and the migration's `migrate start|backfill|verify|replicate|reads|cutover|
rollback|finalize`), which Scan, CreateTable, UpdateTable, BatchWriteItem and read the old tables' streams
with the operator's credentials, never with the service's role (`migrate replicate` runs where the
operator runs it, for as long as the migration needs it).
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from graphql_api.entity import Entity, Listing
from graphql_api.graphql.registry import ALL_ENTITIES, LISTINGS, WRITES
from graphql_api.live.leases import SHARD_LEASES
from graphql_api.migration.phase import MIGRATION
from graphql_api.ops.single_table import Layout
from graphql_api.repositories._access import DeclaredAccess
from graphql_api.repositories.audit import AUDIT_LOG
from graphql_api.repositories.counters import COUNTERS
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS
from graphql_api.tables import Table

REGENERATE = "python -m graphql_api.ops.iam_policy > infra_terraform/dynamodb_access.auto.tfvars.json"
DATA_FILE = "dynamodb_access.auto.tfvars.json"

SINGLE_TABLE = Layout()
"""The single table's layout, from the same declarations as `migrate plan` and single_table.auto.tfvars.json."""


@dataclass(frozen=True)
class Grant:
    """One IAM action on one resource: a table, one of its indexes, or its stream (table names without prefix)."""

    action: str
    table: str
    index: str | None = None
    stream: bool = False

    @property
    def resource(self) -> str:
        """The resource as the ARN ends: `Orders`, `Orders/index/StatusIndex`, `Orders/stream`."""
        if self.stream:
            return f"{self.table}/stream"
        return self.table if self.index is None else f"{self.table}/index/{self.index}"

    def __str__(self) -> str:
        return f"{self.action} on {self.resource}"


def _order(grant: Grant) -> tuple[str, str, str, bool]:
    return (grant.action, grant.table, grant.index or "", grant.stream)


def ordered(grants: Iterable[Grant]) -> list[Grant]:
    """Each grant once, by action then resource: the order of the data file and of every report."""
    return sorted(set(grants), key=_order)


@dataclass(frozen=True)
class Access:
    """A piece of the service and the grants it needs."""

    code: str
    """Where it is: a module's function, or a GraphQL field and what serves it."""
    does: str
    """What it does to DynamoDB, and why it needs each grant."""
    grants: tuple[Grant, ...]


# --- The grants of each kind of call, named from the declarations ---------------------------------


def get_item(entity: Entity[Any]) -> Grant:
    """GetItem: one item by key, strongly consistent (graphql_api.repositories._writes.get)."""
    return Grant("dynamodb:GetItem", entity.table.name)


def batch_get_item(entity: Entity[Any]) -> Grant:
    """BatchGetItem: keys of this table among a batch (graphql_api.dynamo.batch_get, the loaders)."""
    return Grant("dynamodb:BatchGetItem", entity.table.name)


def query(listing: Listing[Any]) -> Grant:
    """Query: one listing's key condition, on the table's own key or on one index (Entity.listing)."""
    table = listing.entity.table.name
    return Grant("dynamodb:Query", table, listing.index.name if listing.index else None)


def put_item(entity: Entity[Any]) -> Grant:
    """PutItem: a create-only put (`put_new`), alone or as a part of a TransactWriteItems."""
    return Grant("dynamodb:PutItem", entity.table.name)


def update_item(entity: Entity[Any]) -> Grant:
    """UpdateItem: a versioned update (`versioned_update`), alone or as a part of a TransactWriteItems."""
    return Grant("dynamodb:UpdateItem", entity.table.name)


def delete_item(entity: Entity[Any]) -> Grant:
    """DeleteItem: a conditional delete (`delete_if`), alone or as a part of a TransactWriteItems."""
    return Grant("dynamodb:DeleteItem", entity.table.name)


def condition_check_item(entity: Entity[Any]) -> Grant:
    """ConditionCheckItem: a TransactWriteItems ConditionCheck (`condition_check`): the item must exist."""
    return Grant("dynamodb:ConditionCheckItem", entity.table.name)


def describe_table(entity: Entity[Any]) -> Grant:
    """DescribeTable: the table's status (readiness) or its stream's ARN (the stream readers)."""
    return Grant("dynamodb:DescribeTable", entity.table.name)


STREAM_ACTIONS = ("dynamodb:DescribeStream", "dynamodb:GetShardIterator", "dynamodb:GetRecords")


def read_stream(entity: Entity[Any]) -> tuple[Grant, ...]:
    """DescribeStream, GetShardIterator, GetRecords on the table's stream (graphql_api.live.streams)."""
    return read_table_stream(entity.table)


def read_table_stream(table: Table) -> tuple[Grant, ...]:
    if table.stream is None:
        raise ValueError(f"{table.name} declares no stream to read")
    return tuple(Grant(action, table.name, stream=True) for action in STREAM_ACTIONS)


def listing_access(listing: Listing[Any]) -> Access:
    """A declared listing's Query grant: on its index, or on the table's own key."""
    table = listing.entity.table.name
    where = f"{listing.index.name} of {table}" if listing.index else f"the {table} table on its own key"
    order = ", newest first" if listing.newest_first else ""
    return Access(
        f"{listing.pattern}: {listing.purpose}",
        f"{listing.pattern}: Query {where}{order}.",
        (query(listing),),
    )


def write_access(declared: DeclaredAccess) -> Access:
    """A repository function's grants, from what it declares beside it (graphql_api.repositories._access)."""
    return Access(
        declared.code,
        declared.does,
        tuple(Grant(f"dynamodb:{action}", entity.table.name) for action, entity in declared.actions),
    )


# --- The service ---------------------------------------------------------------------------------

API: tuple[Access, ...] = (
    Access(
        "graphql_api.app.readyz",
        "GET /readyz: DescribeTable on every declared table, each must be ACTIVE (table_status.missing_tables).",
        tuple(describe_table(entity) for entity in ALL_ENTITIES),
    ),
    Access(
        "graphql_api.loaders.Loaders",
        "Every load by key of a request, batched per wave into BatchGetItem: me, customer, Order.customer "
        "(Customers); order, orderChanged (Orders); Order.items (OrderItems); product, products, "
        "OrderItem.product, Review.product (Products); node(id:) of a review (Reviews); a listing's kept "
        "totalCount and orderStats, its counter's shards (Counters).",
        (
            batch_get_item(CUSTOMERS),
            batch_get_item(ORDERS),
            batch_get_item(ORDER_ITEMS),
            batch_get_item(PRODUCTS),
            batch_get_item(REVIEWS),
            batch_get_item(COUNTERS),
        ),
    ),
    *(listing_access(listing) for listing in LISTINGS),
    *(write_access(declared) for declared in WRITES),
    Access(
        "graphql_api.migration.watch.MigrationWatch",
        "Every instance's view of the single-table migration: one BatchGetItem of the Migration table's phase and "
        "read-percentage items at start and every MIGRATION_POLL_SECONDS, never per request.",
        (batch_get_item(MIGRATION),),
    ),
)

STREAM_READERS: tuple[Access, ...] = tuple(
    Access(
        f"graphql_api.live.service.LiveUpdates and graphql_api.live.relay.Relay: the {entity.table.name} stream",
        f"The {entity.table.name} stream reader (in `serve`, or in `graphql-api relay` with LIVE_BUS): "
        "DescribeTable for the stream's ARN, then the stream's shards, iterators and records.",
        (describe_table(entity), *read_stream(entity)),
    )
    for entity in ALL_ENTITIES
    if entity.table.stream is not None
)
"""Every declared stream (`Entity(..., stream=...)`) is read by the live updates: derived from the declarations."""

RELAY_LEASES = Access(
    "graphql_api.live.leases.Leases",
    "`graphql-api relay`'s shard leases: GetItem (a parent shard finished? a table's since), PutItem (a "
    "table's since, create-only), UpdateItem (take, renew with the checkpoint, release), all conditional.",
    (get_item(SHARD_LEASES), put_item(SHARD_LEASES), update_item(SHARD_LEASES)),
)

AUDIT_WRITES = Access(
    "graphql_api.live.audit.AuditTrail",
    "The audit trail's entries, written by whoever reads the streams (the instances' readers, or the relay): "
    "PutItem, idempotent. Nothing of the service deletes them (`graphql-api audit erase` is the operator's).",
    (put_item(AUDIT_LOG),),
)

SINGLE_TABLE_STREAM = Access(
    "graphql_api.live.single_table_feed.SingleTableFeed: the single table's stream",
    "From the migration's reads phase on, `serve`'s readers also follow the single table's stream (live updates "
    "across cutover): DescribeTable for its ARN, then its shards, iterators and records. On the single table, so "
    "Terraform resolves it only with single_table_enabled (service.tf).",
    (Grant("dynamodb:DescribeTable", SINGLE_TABLE.table.name), *read_table_stream(SINGLE_TABLE.table)),
)

RELAY_PHASE = Access(
    "graphql_api.cli.relay: the relay's MigrationWatch",
    "`graphql-api relay` follows the migration's phase as the instances do (one BatchGetItem of the Migration "
    "table's items every MIGRATION_POLL_SECONDS), to follow the single table's stream from reads through cutover.",
    (batch_get_item(MIGRATION),),
)

SUBSCRIPTIONS: tuple[Access, ...] = (*STREAM_READERS, SINGLE_TABLE_STREAM, RELAY_LEASES, RELAY_PHASE, AUDIT_WRITES)
"""The stream readers, the relay's leases and the audit entries. The relay (LIVE_BUS) makes exactly these calls; a
`serve` without LIVE_BUS makes the stream readers' and the audit's only (the lease grants are then unused: three
item actions on a table of the relays' own)."""

# --- The single-table migration (SPEC section 14), granted while Terraform's single_table_enabled is on --------

TWINNED = ("PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")
"""The write actions dual-write gives a twin (a ConditionCheck's only at cutover, where the twins decide)."""


def on_single_table(action: str, index: str | None = None, layout: Layout = SINGLE_TABLE) -> Grant:
    return Grant(f"dynamodb:{action}", layout.table.name, index)


def located_by_key(entity: Entity[Any], layout: Layout = SINGLE_TABLE) -> Grant:
    """How dual-write finds an item of the single table by its old key (at cutover): GetItem where PK and SK follow
    from the key, else a Query of the GSI holding it under its key alone (an order: its customer and date)."""
    placement = layout.placement(entity)
    number = placement.gsi_for("key")
    if placement.by_key or number is None:
        return on_single_table("GetItem", layout=layout)
    return on_single_table("Query", f"GSI{number}", layout)


def _looked_up(action: str, entity: Entity[Any], layout: Layout) -> list[Entity[Any]]:
    """The items a twin of `action` on `entity` may read first (graphql_api.migration.dual_write): the item itself
    when its key does not give PK and SK or an update moves it in a GSI, and the parent its keys need."""
    placement, needed = layout.placement(entity), layout.ancestors_needed(entity)
    found = [] if needed is None else [needed[0]]
    keyed = placement.by_key and needed is None
    if action != "PutItem" and (not keyed or (action == "UpdateItem" and placement.gsis)):
        found.append(entity)
    return found


def migration_accesses(layout: Layout = SINGLE_TABLE) -> tuple[Access, ...]:
    """Dual-write's twins and their reads, and the read side's translated requests, all on the single table."""
    written = [
        (action, entity)
        for declared in WRITES
        for action, entity in declared.actions
        if action in TWINNED and entity.table.name in layout.placements
    ]
    looked_up = {other.table.name: other for action, entity in written for other in _looked_up(action, entity, layout)}
    return (
        Access(
            "graphql_api.migration.dual_write.DualWrite: the twins",
            "From dual-write to cutover, each API write's twin on the single table, in the same transaction: the "
            "actions of the repository writes on the tables the layout holds.",
            tuple(ordered(on_single_table(action, layout=layout) for action, _ in written)),
        ),
        Access(
            "graphql_api.migration.dual_write.DualWrite: reads at cutover",
            "At cutover an item is found in the single table before its twin is made (an order by its key GSI; an "
            "item an update moves in a GSI): " + ", ".join(sorted(looked_up)) + ".",
            tuple(ordered(located_by_key(entity, layout) for entity in looked_up.values())),
        ),
        Access(
            "graphql_api.migration.read_routing.ReadRouter and read_translation.ReadTranslator",
            "Reads moved to the single table (`migrate reads`, and their shadows): each listing's Query on the table "
            "or the GSI serving it, the loaders' BatchGetItem, and a Query of the key GSI for items whose key does "
            "not give PK and SK. Every GSI of the layout serves a declared index or such a lookup.",
            (
                on_single_table("BatchGetItem", layout=layout),
                on_single_table("Query", layout=layout),
                *(on_single_table("Query", index.name, layout) for index in layout.table.indexes),
            ),
        ),
    )


MIGRATION_PART: tuple[Access, ...] = migration_accesses()
"""The service's calls on the single table: granted to its role only with single_table_enabled (service.tf)."""

PARTS: dict[str, tuple[Access, ...]] = {"api": API, "subscriptions": SUBSCRIPTIONS, "migration": MIGRATION_PART}


def part_of(grant: Grant) -> str:
    """The part of the service's own client a grant belongs to: `migration` on the single table, else `api`."""
    return "migration" if grant.table == SINGLE_TABLE.table.name else "api"


def grants(accesses: Iterable[Access]) -> list[Grant]:
    return ordered(grant for access in accesses for grant in access.grants)


def declared_by(accesses: Iterable[Access]) -> dict[Grant, list[str]]:
    """The code that needs each grant."""
    found: dict[Grant, list[str]] = {}
    for access in accesses:
        for grant in access.grants:
            found.setdefault(grant, []).append(access.code)
    return found


# --- The data file ---------------------------------------------------------------------------------


def grant_data(grant: Grant) -> dict[str, Any]:
    """One entry of the data: every attribute always there (Terraform 1.0 has no optional attributes)."""
    return {"action": grant.action, "table": grant.table, "index": grant.index, "stream": grant.stream}


def grant_from_data(entry: Mapping[str, Any]) -> Grant:
    return Grant(entry["action"], entry["table"], entry.get("index"), bool(entry.get("stream")))


def access_data(parts: Mapping[str, Iterable[Access]] = PARTS) -> dict[str, Any]:
    """The value of Terraform's `dynamodb_access` variable: the grants of each part, in a stable order."""
    return {
        "dynamodb_access": {part: [grant_data(grant) for grant in grants(accesses)] for part, accesses in parts.items()}
    }


def render(parts: Mapping[str, Iterable[Access]] = PARTS) -> str:
    """The file's exact text: sorted keys and fixed indentation, so that it only changes with a declaration."""
    return json.dumps(access_data(parts), indent=2, sort_keys=True) + "\n"


def load(text: str) -> dict[str, list[Grant]]:
    """The grants of each part, read back from the data file's text."""
    document = json.loads(text)["dynamodb_access"]
    return {part: [grant_from_data(entry) for entry in entries] for part, entries in document.items()}


# --- From a call to its grants ---------------------------------------------------------------------

_TRANSACTION_PARTS = {
    "Put": "dynamodb:PutItem",
    "Update": "dynamodb:UpdateItem",
    "Delete": "dynamodb:DeleteItem",
    "ConditionCheck": "dynamodb:ConditionCheckItem",
    "Get": "dynamodb:GetItem",
}
_STREAM_ARN = re.compile(r"^arn:[^:]+:dynamodb:[^:]*:[^:]*:table/(?P<table>[^/]+)/stream/[^/]+$")


def iam_action(operation: str) -> str:
    """`batch_get_item` (botocore's method name) or `BatchGetItem` -> `dynamodb:BatchGetItem`."""
    if "_" in operation or operation.islower():
        operation = "".join(part.capitalize() for part in operation.split("_"))
    return f"dynamodb:{operation}"


def _logical(physical_name: str, table_prefix: str) -> str:
    return physical_name.removeprefix(table_prefix)


def grants_of_call(operation: str, params: Mapping[str, Any], table_prefix: str) -> list[Grant]:
    """The grants one DynamoDB or DynamoDB Streams call needs, from its botocore method name and parameters.

    A transaction needs the action of each of its parts on that part's table; a batch, its action on each
    table it names; a stream operation (with `StreamArn`), its action on that table's stream.
    """
    if operation in ("transact_write_items", "transact_get_items"):
        found = []
        for part in params["TransactItems"]:
            ((kind, action),) = part.items()
            found.append(Grant(_TRANSACTION_PARTS[kind], _logical(action["TableName"], table_prefix)))
        return ordered(found)
    if "RequestItems" in params:
        return ordered(Grant(iam_action(operation), _logical(name, table_prefix)) for name in params["RequestItems"])
    if "StreamArn" in params:
        return [stream_grant(operation, params["StreamArn"], table_prefix)]
    if "TableName" in params:
        return [Grant(iam_action(operation), _logical(params["TableName"], table_prefix), params.get("IndexName"))]
    raise ValueError(f"{operation}: no table, batch, transaction or stream in its parameters")


def stream_table(stream_arn: str) -> str:
    """The physical name of the table whose stream `stream_arn` is."""
    match = _STREAM_ARN.match(stream_arn)
    if match is None:
        raise ValueError(f"not a DynamoDB stream ARN: {stream_arn!r}")
    return match["table"]


def stream_grant(operation: str, stream_arn: str, table_prefix: str) -> Grant:
    """The grant of a stream operation on `stream_arn` (GetRecords names only an iterator: its reader's stream)."""
    return Grant(iam_action(operation), _logical(stream_table(stream_arn), table_prefix), stream=True)


# --- Used versus granted -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Drift:
    """How the grants the code used and the grants of the policy differ, both ways."""

    missing: tuple[Grant, ...]
    """Used, not granted: the service would get AccessDeniedException."""
    unused: tuple[Grant, ...]
    """Granted, never used: more than the code needs."""

    def __bool__(self) -> bool:
        return bool(self.missing or self.unused)

    def report(
        self,
        part: str,
        used_where: Mapping[Grant, str] | None = None,
        declared_where: Mapping[Grant, Sequence[str]] | None = None,
    ) -> str:
        """A readable diff: `+` what to grant, `-` what to stop granting, each with where it comes from."""
        lines = []
        if self.missing:
            lines.append(f"{part}: used but not granted (the service would be refused with AccessDeniedException):")
            for grant in self.missing:
                seen = (used_where or {}).get(grant)
                lines.append(f"  + {grant}" + (f"    (first used by {seen})" if seen else ""))
        if self.unused:
            lines.append(f"{part}: granted but never used (drop it, or make a test exercise it):")
            for grant in self.unused:
                code = (declared_where or {}).get(grant)
                lines.append(f"  - {grant}" + (f"    (declared for {'; '.join(code)})" if code else ""))
        return "\n".join(lines)


def compare(used: Iterable[Grant], granted: Iterable[Grant]) -> Drift:
    used_set, granted_set = set(used), set(granted)
    return Drift(tuple(ordered(used_set - granted_set)), tuple(ordered(granted_set - used_set)))


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
