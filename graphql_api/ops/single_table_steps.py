"""The migration's steps that move its phase (`migrate start|cutover|rollback|finalize|status`), each refusing
what it cannot do safely with a sentence that says why (`NotNow`). The phase itself: graphql_api.migration.phase;
each instance follows it within MIGRATION_POLL_SECONDS (graphql_api.migration.watch)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.migration.phase import (
    MIGRATION,
    PHASES,
    PhaseConflict,
    advance,
    checkpoints,
    clear_reads,
    current_phase,
    read_state,
    roll_back,
)
from graphql_api.migration.read_routing import SHADOW
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_replication import enable_streams
from graphql_api.ops.single_table_rollback import copy_back
from graphql_api.ops.single_table_verify import verify
from graphql_api.ops.table_admin import create_tables


class NotNow(Exception):
    """The step cannot run in the current state: the message says why and what to do first."""


async def start(dynamo: Dynamo, layout: Layout) -> list[str]:
    """design -> dual-write: the single table and the Migration table provisioned if missing, streams on."""
    await create_tables(dynamo, tables=(layout.table, MIGRATION.table))
    enabled = await enable_streams(dynamo, layout)
    phase = await _moved(advance(dynamo, "dual-write"))
    lines = [f"streams enabled (NEW_AND_OLD_IMAGES) on: {', '.join(enabled)}"] if enabled else []
    return [
        *lines,
        f"phase: {phase.name} (version {phase.version}): every instance writes both layouts within 10 s",
        "next: keep `graphql-api migrate replicate` running, then `graphql-api migrate backfill`",
    ]


async def reads_complete(dynamo: Dynamo) -> bool:
    """Every pattern's reads are the single table's (`migrate reads 100`; shadow percentages aside)."""
    _, reads = await read_state(dynamo)
    moved = {pattern: percent for pattern, percent in reads.items() if not pattern.startswith(SHADOW)}
    return moved.get("*") == 100 and all(percent == 100 for percent in moved.values())


async def cutover(dynamo: Dynamo, layout: Layout) -> list[str]:
    """reads -> cutover, only with both layouts at exact parity and every read on the single table."""
    phase = await current_phase(dynamo)
    if phase.name != "reads":
        raise NotNow(f"cutover follows the reads phase; the phase is {phase.name}")
    if not await reads_complete(dynamo):
        raise NotNow("not every read is on the single table yet: run `graphql-api migrate reads 100` first")
    parity = await verify(dynamo, layout)
    if not parity.same:
        raise NotNow(
            "the layouts differ (below): run `graphql-api migrate verify` until exact\n" + "\n".join(parity.lines())
        )
    moved = await _moved(advance(dynamo, "cutover"))
    return [
        "parity: exact",
        f"phase: {moved.name} (version {moved.version}): every instance writes the single table only within 10 s",
    ]


async def rollback(dynamo: Dynamo, layout: Layout, follow_seconds: float) -> list[str]:
    """Back to the old layout (design) from any phase before finalized; from cutover, through reads (the old
    tables decide again) once every instance had `follow_seconds` to follow, copying back what only the single
    table got. Nothing is lost: until cutover the old tables had every write."""
    phase = await current_phase(dynamo)
    lines = []
    if phase.name == "cutover":
        await _moved(roll_back(dynamo, "cutover"))
        await asyncio.sleep(follow_seconds)  # the instances still writing the single table only follow
        lines.append(f"phase: reads (old tables decide again); {(await copy_back(dynamo, layout)).line()}")
        phase = await current_phase(dynamo)
    if phase.name in (PHASES[0], PHASES[-1]):
        raise NotNow(f"nothing to roll back from {phase.name}")
    moved = await _moved(roll_back(dynamo, phase.name))
    await clear_reads(dynamo)  # a later reads phase starts with none moved
    lines.append(
        f"phase: {moved.name} (version {moved.version}): the old layout alone, as before the migration "
        "(the single table is left as it is: a new start backfills it again with --restart)"
    )
    return lines


async def finalize(dynamo: Dynamo, layout: Layout, directory: Path) -> list[str]:
    """cutover -> finalized: the old tables exported (graphql-api export) and left for Terraform to remove."""
    from graphql_api.ops.export import export_tables

    phase = await current_phase(dynamo)
    if phase.name != "cutover":
        raise NotNow(f"finalize follows cutover; the phase is {phase.name}")
    result = await export_tables(dynamo, directory)
    moved = await _moved(advance(dynamo, "finalized"))
    rows = sum(table.rows for table in result.tables)
    return [
        f"old tables exported to {directory}: {len(result.tables)} tables, {rows} rows",
        f"phase: {moved.name} (version {moved.version}): remove the old tables with Terraform; no rollback now",
    ]


async def status(dynamo: Dynamo) -> dict[str, Any]:
    """Everything `migrate status` shows: the phase, the reads, the backfill's checkpoints."""
    phase, reads = await read_state(dynamo)
    saved = await checkpoints(dynamo)
    return {
        "phase": phase.name,
        "version": phase.version,
        "changedAt": phase.changed_at,
        "phases": list(PHASES),
        "reads": dict(sorted(reads.items())),
        "backfill": {
            "segments": len(saved),
            "done": sum(bool(state.done) for state in saved),
            "copied": sum(state.copied or 0 for state in saved),
            "kept": sum(state.kept or 0 for state in saved),
        },
    }


async def _moved(change: Any) -> Any:
    try:
        return await change
    except PhaseConflict as conflict:
        raise NotNow(str(conflict)) from None
