"""The single-table migration's state in DynamoDB: its phase, and the backfill's checkpoints (SPEC section 14).

One service table, `Migration`: the item `phase` holds the current phase and its Version; every change of
phase is a conditional write from the phase it leaves (two operators cannot both move it, and nobody skips a
phase: design, dual-write, backfill, verify, reads, cutover, finalized). The items `backfill#<table>#<segment>`
hold where each Scan segment of the backfill stands, so that a stopped backfill resumes; the items
`reads#<pattern>` (`reads#*` for every pattern) the share of reads moved to the single table (`percent`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.clock import format_timestamp
from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.entity import Entity

PHASES = ("design", "dual-write", "backfill", "verify", "reads", "cutover", "finalized")
"""In order: each phase moves only to the next, or back by a rollback (ROLLBACK_TARGETS)."""
PHASE_KEY = "phase"


@dataclass(frozen=True)
class MigrationState:
    """An item of the migration's table: the phase, or one backfill segment's checkpoint."""

    key: str
    """`phase`, or `backfill#<table>#<segment>`."""
    phase: str | None = None
    changed_at: str | None = None
    """When the phase last changed (ISO-8601 UTC)."""
    version: int | None = None
    start_key: str | None = None
    """A backfill segment's next ExclusiveStartKey (JSON of the wire key); absent at its start and its end."""
    done: bool | None = None
    copied: int | None = None
    """Items a segment wrote; `kept` those it left because the single table held a newer or equal version."""
    kept: int | None = None
    percent: int | None = None
    """An item `reads#<pattern>`: the percentage of that access pattern's reads served by the single table."""


MIGRATION = Entity(MigrationState, "Migration", key=("key",))
"""Registered among the service's tables (graphql_api.graphql.registry.SERVICE_ENTITIES)."""


class PhaseConflict(Exception):
    """The phase was not the one the change expected (another operator moved it, or a phase was skipped)."""


@dataclass(frozen=True)
class Phase:
    name: str
    version: int
    changed_at: str | None


def _table(dynamo: Dynamo) -> str:
    return MIGRATION.table.physical_name(dynamo.table_prefix)


async def _state(dynamo: Dynamo, key: str) -> MigrationState | None:
    """One item of the table by its key, strongly consistent (None: absent)."""
    response = await dynamo.call(
        "get_item", TableName=_table(dynamo), Key=serialize_item({"Key": key}), ConsistentRead=True
    )
    return MIGRATION.from_item(deserialize_item(response["Item"])) if "Item" in response else None


async def _forget(dynamo: Dynamo, key: str) -> None:
    await dynamo.call("delete_item", TableName=_table(dynamo), Key=serialize_item({"Key": key}))


def _phase_of(state: MigrationState | None) -> Phase:
    """The phase its item records; `design`, version 0, before anything was recorded."""
    if state is None:
        return Phase(PHASES[0], 0, None)
    return Phase(state.phase or PHASES[0], state.version or 0, state.changed_at)


async def current_phase(dynamo: Dynamo) -> Phase:
    """The phase (`design`, version 0, before anything was recorded)."""
    return _phase_of(await _state(dynamo, PHASE_KEY))


async def advance(dynamo: Dynamo, to: str) -> Phase:
    """Move to the phase `to`, which must follow the current one; PhaseConflict otherwise."""
    if to not in PHASES[1:]:
        raise PhaseConflict(f"{to!r} is not a phase to move to ({', '.join(PHASES[1:])})")
    return await move(dynamo, PHASES[PHASES.index(to) - 1], to)


ROLLBACK_TARGETS = {"cutover": "reads", **{phase: PHASES[0] for phase in PHASES[1:5]}}
"""A rollback's step from each phase before finalized: cutover back to dual-write (reads, where the old tables
decide again, once what only the single table got is copied back), every earlier one back to design."""


async def roll_back(dynamo: Dynamo, before: str) -> Phase:
    """One rollback step from `before` (ROLLBACK_TARGETS); PhaseConflict if the phase is not `before`."""
    if before not in ROLLBACK_TARGETS:
        raise PhaseConflict(f"there is no rollback from {before} (only from {', '.join(ROLLBACK_TARGETS)})")
    return await move(dynamo, before, ROLLBACK_TARGETS[before])


async def move(dynamo: Dynamo, before: str, to: str) -> Phase:
    """Move from the phase `before` to `to` in one conditional write; PhaseConflict if the phase is not `before`."""
    now = format_timestamp(datetime.now(UTC))
    try:
        await dynamo.call(
            "update_item",
            TableName=_table(dynamo),
            Key=serialize_item({"Key": PHASE_KEY}),
            UpdateExpression="SET Phase = :to, ChangedAt = :now ADD Version :one",
            # Before any change the item is absent: that is the design phase.
            ConditionExpression="Phase = :before" + (" OR attribute_not_exists(#k)" if before == PHASES[0] else ""),
            ExpressionAttributeValues=serialize_item({":to": to, ":now": now, ":one": 1, ":before": before}),
            **({"ExpressionAttributeNames": {"#k": "Key"}} if before == PHASES[0] else {}),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
            raise
        found = await current_phase(dynamo)
        raise PhaseConflict(f"cannot move to {to}: the phase is {found.name}, not {before}") from None
    return await current_phase(dynamo)


READS_PREFIX = "reads#"


def reads_key(pattern: str) -> str:
    """The item holding the percentage of reads of `pattern` (`AP3`, or `*` for all) moved to the single table."""
    return READS_PREFIX + pattern


READ_PATTERNS = ("*", *(f"AP{number}" for number in range(1, 15)))
"""The patterns reads move by (`*`: all), each also with its shadow share (`shadow:AP3`)."""
SHADOW_PREFIX = "shadow:"
_STATE_KEYS = (PHASE_KEY, *(reads_key(prefix + p) for prefix in ("", SHADOW_PREFIX) for p in READ_PATTERNS))


async def read_state(dynamo: Dynamo) -> tuple[Phase, dict[str, int]]:
    """The phase and every pattern's read percentage: one strongly consistent BatchGetItem of their items (no Scan:
    the service's role reads items by key only). A missing table is the design phase: the service runs before
    the migration's table is provisioned."""
    try:
        found = await batch_get(dynamo, [(MIGRATION.table, (key,)) for key in _STATE_KEYS])
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        found = []
    phase = _phase_of(None)
    reads: dict[str, int] = {}
    for state in (MIGRATION.from_item(item) for item in found if item is not None):
        if state.key == PHASE_KEY:
            phase = _phase_of(state)
        elif state.percent is not None:
            reads[state.key.removeprefix(READS_PREFIX)] = state.percent
    return phase, reads


async def clear_reads(dynamo: Dynamo) -> None:
    """Forget every read percentage (a rollback to design: a later reads phase starts from none moved)."""
    _, reads = await read_state(dynamo)
    for pattern in reads:
        await _forget(dynamo, reads_key(pattern))


def checkpoint_key(table: str, segment: int) -> str:
    return f"backfill#{table}#{segment}"


async def read_checkpoint(dynamo: Dynamo, table: str, segment: int) -> MigrationState | None:
    return await _state(dynamo, checkpoint_key(table, segment))


async def write_checkpoint(
    dynamo: Dynamo, table: str, segment: int, start_key: dict[str, Any] | None, copied: int, kept: int
) -> None:
    """Where a segment stands after a page: its next start key (None: scanned to its end) and its running counts."""
    state = MigrationState(
        key=checkpoint_key(table, segment),
        start_key=None if start_key is None else json.dumps(start_key, sort_keys=True),
        done=start_key is None,
        copied=copied,
        kept=kept,
    )
    await dynamo.call("put_item", TableName=_table(dynamo), Item=serialize_item(MIGRATION.to_item(state)))


async def checkpoints(dynamo: Dynamo) -> list[MigrationState]:
    """Every backfill segment's checkpoint (one Scan of the small table)."""
    response = await dynamo.call("scan", TableName=_table(dynamo), ConsistentRead=True)
    states = [MIGRATION.from_item(deserialize_item(item)) for item in response.get("Items", [])]
    return [state for state in states if state.key.startswith("backfill#")]


async def clear_checkpoints(dynamo: Dynamo) -> int:
    """Forget every segment's checkpoint (a backfill from the start); returns how many there were."""
    found = await checkpoints(dynamo)
    for state in found:
        await _forget(dynamo, state.key)
    return len(found)
