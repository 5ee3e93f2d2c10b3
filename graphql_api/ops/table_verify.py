"""`graphql-api tables verify`: compare the live tables (DescribeTable, DescribeTimeToLive) with the declarations.

`differences` and `plan_gsi_changes` are pure functions over DescribeTable's "Table" dict, so
every kind of drift is unit-tested without a server; `verify` only fetches the descriptions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops.single_table_streams import is_migration_stream, migration_streams
from graphql_api.table_status import describe_table
from graphql_api.tables import Index, Key, Table

Description = Mapping[str, Any]
"""DescribeTable's "Table" member, as botocore returns it."""

_ROLES = ("HASH", "RANGE")


class DriftKind(Enum):
    MISSING_TABLE = "missing table"
    TABLE_NOT_ACTIVE = "table not ACTIVE"
    KEY_SCHEMA = "key schema"
    MISSING_INDEX = "missing GSI"
    EXTRA_INDEX = "extra GSI"
    INDEX_KEYS = "GSI keys"
    INDEX_PROJECTION = "GSI projection"
    INDEX_NOT_ACTIVE = "GSI not ACTIVE"
    EXTRA_LOCAL_INDEX = "extra LSI"
    STREAM = "stream"
    TIME_TO_LIVE = "time to live"


@dataclass(frozen=True)
class Drift:
    """One difference between a declared table and the live one."""

    table: str
    """The declared (unprefixed) table name, e.g. "Orders"."""
    kind: DriftKind
    message: str
    index: str | None = None
    index_status: str | None = None

    def line(self, prefix: str = "") -> str:
        return f"{prefix}{self.table}: {self.message}"


@dataclass(frozen=True)
class GsiChange:
    action: Literal["delete", "create"]
    index: str
    already_deleting: bool = False

    def describe(self) -> str:
        if self.already_deleting:
            return f"wait until {self.index} is gone (it is already DELETING)"
        if self.action == "delete":
            return f"delete {self.index} (wait until it is gone)"
        return f"create {self.index} (wait until it is ACTIVE)"


@dataclass(frozen=True)
class GsiPlan:
    """The GSI changes one table needs, in an order DynamoDB accepts: one per UpdateTable."""

    table: str
    steps: tuple[GsiChange, ...]

    def lines(self, prefix: str = "") -> list[str]:
        count = len(self.steps)
        return [
            f"{prefix}{self.table} needs {count} GSI changes; DynamoDB takes one GSI creation or deletion "
            f"per update: apply in {count} steps:",
            *(f"  {number}) {step.describe()}" for number, step in enumerate(self.steps, start=1)),
            "  Terraform: the AWS provider runs these steps in this order within one apply, waiting for each.",
            "  On a large table, where each creation backfills the index for a long time, make one step per apply: "
            "edit the module call's global_secondary_indexes one index at a time, in this order.",
        ]


UNKNOWN_TIME_TO_LIVE: Description = {"TimeToLiveStatus": "UNKNOWN"}
"""What `verify` compares when the endpoint cannot DescribeTimeToLive: reported as its own difference."""


def time_to_live_difference(declared: Table, described: Description | None) -> Drift | None:
    """How DescribeTimeToLive's "TimeToLiveDescription" differs from the declared TTL attribute (None: it does not).

    ENABLING counts as on and DISABLING as off: the change is under way.
    """
    if described is None:
        return None
    status = described.get("TimeToLiveStatus", "DISABLED")
    if status == "UNKNOWN":
        if declared.ttl_attribute is None:
            return None  # nothing declared, nothing to miss
        return Drift(
            declared.name,
            DriftKind.TIME_TO_LIVE,
            f"time to live cannot be read at this endpoint (DescribeTimeToLive failed); declared "
            f"{declared.ttl_attribute or 'off'}",
        )
    live = described.get("AttributeName") if status in ("ENABLED", "ENABLING") else None
    if live == declared.ttl_attribute:
        return None
    return Drift(
        declared.name,
        DriftKind.TIME_TO_LIVE,
        f"time to live is {live or 'off'}; declared {declared.ttl_attribute or 'off'} "
        "(set it with UpdateTimeToLive or Terraform)",
    )


def differences(
    declared: Table,
    described: Description | None,
    time_to_live: Description | None = None,
    migration_streams: Mapping[str, str] | None = None,
) -> list[Drift]:
    """Every difference between the declaration and DescribeTable's "Table" (None: no such table), and
    DescribeTimeToLive's "TimeToLiveDescription" when given. A stream in `migration_streams` (table -> view: the
    single-table migration's, graphql_api.ops.single_table_streams) on a table declaring none is not one."""
    if described is None:
        return [Drift(declared.name, DriftKind.MISSING_TABLE, "table is missing")]
    drifts: list[Drift] = []
    status = described.get("TableStatus")
    if status != "ACTIVE":
        drifts.append(Drift(declared.name, DriftKind.TABLE_NOT_ACTIVE, f"table is {status}, not ACTIVE"))
    types = {
        definition["AttributeName"]: definition["AttributeType"]
        for definition in described.get("AttributeDefinitions") or []
    }
    declared_keys, live_keys = _declared_keys(declared.keys), _live_keys(described.get("KeySchema") or [], types)
    if declared_keys != live_keys:
        drifts.append(
            Drift(
                declared.name,
                DriftKind.KEY_SCHEMA,
                f"key schema is {_keys_text(live_keys)}; declared {_keys_text(declared_keys)} "
                "(keys cannot change in place: the table must be replaced)",
            )
        )
    live_stream = _live_stream(described)
    if live_stream != declared.stream and not is_migration_stream(declared, live_stream, migration_streams or {}):
        drifts.append(
            Drift(
                declared.name,
                DriftKind.STREAM,
                f"stream is {live_stream or 'off'}; declared {declared.stream or 'off'}"
                + (" (subscriptions need it: enable it with UpdateTable or Terraform)" if declared.stream else ""),
            )
        )
    if (ttl_drift := time_to_live_difference(declared, time_to_live)) is not None:
        drifts.append(ttl_drift)
    live_indexes = {index["IndexName"]: index for index in described.get("GlobalSecondaryIndexes") or []}
    for index in declared.indexes:
        drifts.extend(_index_differences(declared.name, index, live_indexes.get(index.name), types))
    declared_names = {index.name for index in declared.indexes}
    for name in sorted(set(live_indexes) - declared_names):
        live = live_indexes[name]
        index_status = live.get("IndexStatus")
        deleting = "; DELETING" if index_status == "DELETING" else ""
        drifts.append(
            Drift(
                declared.name,
                DriftKind.EXTRA_INDEX,
                f"extra GSI {name} ({_live_index_text(live, types)}), not declared{deleting}",
                index=name,
                index_status=index_status,
            )
        )
    for local in sorted(described.get("LocalSecondaryIndexes") or [], key=lambda local: str(local["IndexName"])):
        drifts.append(
            Drift(
                declared.name,
                DriftKind.EXTRA_LOCAL_INDEX,
                f"extra LSI {local['IndexName']} ({_live_index_text(local, types)}), not declared "
                "(LSIs cannot be removed in place: the table must be replaced)",
                index=local["IndexName"],
            )
        )
    return drifts


def _live_stream(described: Description) -> str | None:
    stream = described.get("StreamSpecification") or {}
    return str(stream["StreamViewType"]) if stream.get("StreamEnabled") else None


def migration_stream_note(declared: Table, described: Description | None, streams: Mapping[str, str]) -> str | None:
    """What `tables verify` says of a stream that is the migration's, not drift (None: there is none)."""
    live_stream = None if described is None else _live_stream(described)
    if not is_migration_stream(declared, live_stream, streams):
        return None
    return (
        f"{declared.name}: stream {live_stream} is the single-table migration's (migrate replicate reads it; "
        "Terraform keeps it with single_table_enabled), not drift"
    )


def _index_differences(table: str, declared: Index, live: Description | None, types: Mapping[str, str]) -> list[Drift]:
    spec = _declared_index_text(declared)
    if live is None:
        return [Drift(table, DriftKind.MISSING_INDEX, f"missing GSI {declared.name} ({spec})", index=declared.name)]
    status = live.get("IndexStatus")
    if status == "DELETING":
        # On its way out: whatever its shape, the declared index has to be created again once it is gone.
        return [
            Drift(
                table,
                DriftKind.MISSING_INDEX,
                f"missing GSI {declared.name} ({spec}); the live index of that name is DELETING",
                index=declared.name,
                index_status=status,
            )
        ]
    drifts: list[Drift] = []
    declared_keys, live_keys = _declared_keys(declared.keys), _live_keys(live.get("KeySchema") or [], types)
    if declared_keys != live_keys:
        drifts.append(
            Drift(
                table,
                DriftKind.INDEX_KEYS,
                f"GSI {declared.name} keys are {_keys_text(live_keys)}; declared {_keys_text(declared_keys)}",
                index=declared.name,
                index_status=status,
            )
        )
    declared_projection = (declared.projection, tuple(sorted(declared.non_key_attributes)))
    live_projection = _live_projection(live)
    if declared_projection != live_projection:
        drifts.append(
            Drift(
                table,
                DriftKind.INDEX_PROJECTION,
                f"GSI {declared.name} projection is {_projection_text(*live_projection)}; "
                f"declared {_projection_text(*declared_projection)}",
                index=declared.name,
                index_status=status,
            )
        )
    if status != "ACTIVE":
        backfilling = " (backfilling)" if live.get("Backfilling") else ""
        drifts.append(
            Drift(
                table,
                DriftKind.INDEX_NOT_ACTIVE,
                f"GSI {declared.name} is {status}{backfilling}, not ACTIVE",
                index=declared.name,
                index_status=status,
            )
        )
    return drifts


KeyText = tuple[str, str, str]  # (attribute name, attribute type, HASH or RANGE)


def _declared_keys(keys: Sequence[Key]) -> tuple[KeyText, ...]:
    return tuple((key.name, key.type, role) for key, role in zip(keys, _ROLES, strict=False))


def _live_keys(key_schema: Iterable[Mapping[str, str]], types: Mapping[str, str]) -> tuple[KeyText, ...]:
    # DescribeTable lists HASH first; sorting by role makes that an invariant rather than an assumption.
    ordered = sorted(key_schema, key=lambda element: _ROLES.index(element["KeyType"]))
    return tuple(
        (element["AttributeName"], types.get(element["AttributeName"], "?"), element["KeyType"]) for element in ordered
    )


def _keys_text(keys: Sequence[KeyText]) -> str:
    return ", ".join(f"{name} ({type_}) {role}" for name, type_, role in keys) or "no keys"


def _live_projection(index: Description) -> tuple[str, tuple[str, ...]]:
    projection = index.get("Projection") or {}
    return str(projection.get("ProjectionType", "?")), tuple(sorted(projection.get("NonKeyAttributes") or []))


def _projection_text(projection_type: str, non_key_attributes: tuple[str, ...]) -> str:
    return f"{projection_type} [{', '.join(non_key_attributes)}]" if non_key_attributes else projection_type


def _declared_index_text(index: Index) -> str:
    projection = _projection_text(index.projection, tuple(sorted(index.non_key_attributes)))
    return f"{_keys_text(_declared_keys(index.keys))}; projection {projection}"


def _live_index_text(index: Description, types: Mapping[str, str]) -> str:
    keys = _keys_text(_live_keys(index.get("KeySchema") or [], types))
    return f"{keys}; projection {_projection_text(*_live_projection(index))}"


_REPLACED_TABLE = frozenset({DriftKind.MISSING_TABLE, DriftKind.KEY_SCHEMA})
_CHANGED_INDEX = frozenset({DriftKind.INDEX_KEYS, DriftKind.INDEX_PROJECTION})


def plan_gsi_changes(drifts: Iterable[Drift]) -> list[GsiPlan]:
    """For every table whose drift needs more than one GSI creation or deletion, the order that works.

    DynamoDB accepts one GSI creation or deletion per UpdateTable and runs one at a time per table,
    so the changes become steps: every deletion first (a changed index is deleted, then created again
    under the same name, which needs the old one gone), then every creation. Tables that are missing
    or must be replaced get their GSIs with CreateTable, all at once, and need no plan.
    """
    by_table: dict[str, list[Drift]] = {}
    for drift in drifts:
        by_table.setdefault(drift.table, []).append(drift)
    plans = []
    for table, table_drifts in by_table.items():
        if any(drift.kind in _REPLACED_TABLE for drift in table_drifts):
            continue
        deletions: dict[str, GsiChange] = {}
        creations: dict[str, GsiChange] = {}
        for drift in table_drifts:
            if drift.index is None:
                continue
            if drift.kind is DriftKind.EXTRA_INDEX or drift.kind in _CHANGED_INDEX:
                deletions.setdefault(
                    drift.index, GsiChange("delete", drift.index, already_deleting=drift.index_status == "DELETING")
                )
            if drift.kind is DriftKind.MISSING_INDEX or drift.kind in _CHANGED_INDEX:
                creations.setdefault(drift.index, GsiChange("create", drift.index))
        steps = (*deletions.values(), *creations.values())
        if len(steps) > 1:
            plans.append(GsiPlan(table, steps))
    return plans


def report_lines(
    drifts: Sequence[Drift],
    *,
    prefix: str,
    where: str,
    tables: Sequence[Table] = ALL_TABLES,
    notes: Sequence[str] = (),
) -> list[str]:
    """What `tables verify` prints: the notes (the migration's streams), one line per difference, the GSI plans,
    then a summary."""
    noted = [prefix + note for note in notes]
    if not drifts:
        return [*noted, f"No drift: all {len(tables)} tables match the declarations (prefix {prefix!r}, {where})."]
    lines = [*noted, *(drift.line(prefix) for drift in drifts)]
    for plan in plan_gsi_changes(drifts):
        lines.extend(["", *plan.lines(prefix)])
    if len(lines) > len(drifts):
        lines.append("")
    noun = "difference" if len(drifts) == 1 else "differences"
    drifted = {drift.table for drift in drifts}
    lines.append(f"Drift: {len(drifts)} {noun} in {len(drifted)} of {len(tables)} tables (prefix {prefix!r}, {where}).")
    return lines


async def describe_time_to_live(dynamo: Dynamo, table: Table) -> dict[str, Any]:
    """DescribeTimeToLive's "TimeToLiveDescription"; `UNKNOWN_TIME_TO_LIVE` when the endpoint cannot answer it
    (an emulator without the operation): `verify` then says so rather than guessing."""
    try:
        response = await dynamo.call("describe_time_to_live", TableName=table.physical_name(dynamo.table_prefix))
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            return {}
        return dict(UNKNOWN_TIME_TO_LIVE)
    described: dict[str, Any] = response.get("TimeToLiveDescription") or {}
    return described


async def _described(dynamo: Dynamo, table: Table) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    live = await describe_table(dynamo, table)
    return live, (await describe_time_to_live(dynamo, table) if live is not None else None)


@dataclass(frozen=True)
class Inspection:
    drifts: list[Drift]
    notes: list[str]
    """The migration's streams found (not drift)."""


async def inspect(dynamo: Dynamo, tables: Sequence[Table] = ALL_TABLES) -> Inspection:
    """Every difference between the declared tables and the live ones, table by table, and the migration's streams:
    accepted whatever the migration's phase, since Terraform keeps them while single_table_enabled is on."""
    streams = migration_streams()
    described = await asyncio.gather(*(_described(dynamo, table) for table in tables))
    pairs = list(zip(tables, described, strict=True))
    return Inspection(
        [drift for table, (live, ttl) in pairs for drift in differences(table, live, ttl, streams)],
        [note for table, (live, _) in pairs if (note := migration_stream_note(table, live, streams)) is not None],
    )


async def verify(dynamo: Dynamo, tables: Sequence[Table] = ALL_TABLES) -> list[Drift]:
    """Every difference between the declared tables and the live ones, table by table."""
    return (await inspect(dynamo, tables)).drifts
