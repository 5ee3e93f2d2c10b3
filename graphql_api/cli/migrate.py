"""`graphql-api migrate ...`: the move to the single-table layout (SPEC section 14; docs/migrating-to-single-table.md):
plan, status, start, replicate, backfill, verify, reads, cutover, rollback, finalize."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from graphql_api.cli.command import Command, Group, argument, positive
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.dynamo.client import Dynamo
from graphql_api.settings import Settings


def _layout(settings: Settings) -> Any:
    from graphql_api.ops.single_table import Layout

    return Layout(name=settings.single_table_name)


def migrate_plan(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.migration_plan import plan_lines

    measured = None
    if args.measure:  # check-patterns' own run: its sample operations, counted as requests count them
        from graphql_api.graphql.schema import build_schema
        from graphql_api.ops.patterns import check_patterns

        schema = build_schema(settings)
        results = with_dynamo(settings, lambda dynamo: check_patterns(schema, dynamo, settings))
        measured = {result.pattern.number: result.dynamodb_requests for result in results if result.ok}
    print("\n".join(plan_lines(_layout(settings), measured)))
    return 0


def migrate_status(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_steps import status

    answer = with_dynamo(settings, status)
    if args.json:
        print(json.dumps(answer))
        return 0
    since = f" since {answer['changedAt']}" if answer["changedAt"] else ""
    print(f"phase: {answer['phase']} (version {answer['version']}){since}; phases: {' -> '.join(answer['phases'])}")
    reads = ", ".join(f"{pattern} {percent}%" for pattern, percent in answer["reads"].items()) or "none moved"
    backfill = answer["backfill"]
    print(f"reads on the single table: {reads}")
    print(
        f"backfill: {backfill['done']} of {backfill['segments']} segments done, copied {backfill['copied']}, "
        f"kept newer {backfill['kept']}"
    )
    return 0


def _step(settings: Settings, step: Callable[[Dynamo], Awaitable[list[str]]]) -> int:
    """Run a phase-moving step and print its lines; a refusal (NotNow) is printed and exits 1."""
    from graphql_api.ops.single_table_steps import NotNow

    try:
        lines = with_dynamo(settings, step)
    except NotNow as refusal:
        print(f"refused: {refusal}")
        return 1
    print("\n".join(lines))
    return 0


def migrate_start(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_steps import start
    from graphql_api.ops.single_table_streams import STREAM_VIEW, missing_streams

    layout = _layout(settings)
    # Turning streams on behind Terraform's back would be undone by its next apply, silently stopping replication:
    # Terraform turns them on itself with single_table_enabled (docs/decisions/0009-migration-streams.md).
    missing = [] if args.enable_streams else with_dynamo(settings, lambda dynamo: missing_streams(dynamo, layout))
    if missing:
        print(
            "refused: replication (`migrate replicate`) reads a stream on every old table; "
            f"none on {', '.join(missing)}.\nApply Terraform with single_table_enabled = true first (it turns them on, "
            f"{STREAM_VIEW}, and keeps them on),\nor, for tables no Terraform manages (DynamoDB Local, moto), "
            "run `graphql-api migrate start --enable-streams`."
        )
        return 1
    return _step(settings, lambda dynamo: start(dynamo, layout))


def migrate_cutover(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_steps import cutover

    return _step(settings, lambda dynamo: cutover(dynamo, _layout(settings)))


def migrate_rollback(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_steps import rollback

    # Every instance follows a change within a poll and one read: twice the poll is ample.
    follow = 2 * settings.migration_poll_seconds + 1
    return _step(settings, lambda dynamo: rollback(dynamo, _layout(settings), follow))


def migrate_finalize(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_steps import finalize

    return _step(settings, lambda dynamo: finalize(dynamo, _layout(settings), Path(args.directory)))


def migrate_replicate(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.single_table_replication import replicate

    async def run() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)  # a clean stop releases the leases at once
        applier = await replicate(settings, _layout(settings), stop)
        print(f"migrate replicate: applied {applier.applied}, kept newer {applier.kept}")

    asyncio.run(run())
    return 0


def migrate_backfill(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.migration.phase import MIGRATION, advance, clear_checkpoints, current_phase
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.single_table_backfill import backfill
    from graphql_api.ops.table_admin import create_tables

    layout = _layout(settings)

    async def run(dynamo: Dynamo) -> Any:
        await create_tables(dynamo, tables=(layout.table, MIGRATION.table))
        if (await current_phase(dynamo)).name == "dual-write":
            await advance(dynamo, "backfill")
        if args.restart:
            await clear_checkpoints(dynamo)
        return await backfill(
            dynamo,
            layout,
            segments=args.segments,
            page_size=args.page_size,
            max_pages=args.max_pages,
            progress=progress_for("migrate backfill"),
        )

    result = with_dynamo(settings, run)
    counts = result.counts
    print(
        f"migrate backfill into {layout.table.physical_name(settings.table_prefix)}: scanned {counts['scanned']}, "
        f"copied {counts['copied']}, kept newer {counts['kept']}, orphaned {counts['orphaned']}"
    )
    if result.complete:
        print("complete: every segment of every table copied (checkpoints kept: --restart copies again)")
    else:
        print(f"stopped after --max-pages {args.max_pages}; run the same command again to continue")
    return 0


def migrate_verify(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.migration.phase import advance, current_phase
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.single_table_verify import validate_single, verify
    from graphql_api.ops.validate import validate_tables

    layout = _layout(settings)

    async def run(dynamo: Dynamo) -> tuple[bool, list[str]]:
        parity = await verify(dynamo, layout, progress_for("migrate verify"))
        # `graphql-api validate`'s invariants on each layout: parity of two broken layouts is no proof.
        old, single = (await validate_tables(dynamo)).violations, await validate_single(dynamo, layout)
        lines = [*parity.lines(), *(violation.line() for violation in old + single)]
        lines += [f"validate (faux-SQL): {len(old)} violations", f"validate (single table): {len(single)} violations"]
        clean = parity.same and not old + single
        if clean and (await current_phase(dynamo)).name == "backfill":  # proven: the phase says so
            lines.append(f"phase: {(await advance(dynamo, 'verify')).name}")
        return clean, lines

    clean, lines = with_dynamo(settings, run)
    print("\n".join(lines))
    return 0 if clean else 1


def migrate_reads(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.migration.phase import advance, current_phase
    from graphql_api.migration.read_routing import NotNow, set_read_percent

    what = "shadow reads" if args.shadow else "reads"

    async def run(dynamo: Dynamo) -> dict[str, int]:
        if (await current_phase(dynamo)).name == "verify":  # parity proven: the first `reads` begins the phase
            await advance(dynamo, "reads")
        return await set_read_percent(dynamo, args.pattern, args.percent, shadow=args.shadow)

    try:
        reads = with_dynamo(settings, run)
    except NotNow as refusal:
        print(f"migrate reads: {refusal}")
        return 1
    print(f"{what} of {args.pattern}: {args.percent}% recorded; every instance follows within 10 s")
    for pattern, percent in sorted(reads.items()):
        print(f"  {pattern}: {percent}%")
    return 0


MIGRATE = Group(
    "migrate",
    help="move to the single-table layout: plan, start, backfill, verify, reads, cutover, rollback, finalize",
    commands=(
        Command(
            "plan",
            help="every entity's key shape and access pattern's key condition in both layouts",
            run=migrate_plan,
            arguments=(
                argument(
                    "--measure",
                    action="store_true",
                    help="also run check-patterns on the configured endpoint and print its faux-SQL counts",
                ),
            ),
        ),
        Command(
            "status",
            help="the migration's phase, as recorded in DynamoDB",
            run=migrate_status,
            arguments=(argument("--json", action="store_true", help="one JSON object"),),
        ),
        Command(
            "backfill",
            help="copy every item into the single table (resumable; never over a newer version)",
            run=migrate_backfill,
            arguments=(
                argument("--segments", type=positive, default=4, help="parallel Scan segments per table"),
                argument("--page-size", type=positive, default=None, help="items per Scan page"),
                argument("--max-pages", type=positive, default=None, help="stop after this many pages (resume later)"),
                argument("--restart", action="store_true", help="forget the checkpoints and copy from the start"),
            ),
        ),
        Command("verify", help="item-for-item parity of both layouts; exit code 1 on a difference", run=migrate_verify),
        Command(
            "start",
            help="dual-write: every API write to both layouts (provisions the single table; refused while an old "
            "table has no stream, which Terraform turns on with single_table_enabled)",
            run=migrate_start,
            arguments=(
                argument(
                    "--enable-streams",
                    action="store_true",
                    help="turn the missing streams on itself (tables no Terraform manages: DynamoDB Local, moto)",
                ),
            ),
        ),
        Command(
            "replicate",
            help="apply the old tables' stream records to the single table (keep it running from start to finalize)",
            run=migrate_replicate,
        ),
        Command(
            "cutover",
            help="writes to the single table only (refused unless verify is exact and every read is moved)",
            run=migrate_cutover,
        ),
        Command(
            "rollback",
            help="back to the old layout from any phase before finalized (from cutover: copies back what it wrote)",
            run=migrate_rollback,
        ),
        Command(
            "finalize",
            help="export the old tables (graphql-api export) and leave them for Terraform to remove",
            run=migrate_finalize,
            arguments=(argument("directory", help="where the export goes (new or empty)"),),
        ),
        Command(
            "reads",
            help="the share of reads served by the single table (the reads phase; per access pattern or all)",
            run=migrate_reads,
            arguments=(
                argument("percent", type=int, help="0 to 100: the requests whose reads of the pattern move"),
                argument("--pattern", default="*", help="AP1 ... AP14 (default: every pattern)"),
                argument(
                    "--shadow",
                    action="store_true",
                    help="set the share of requests that also read the other layout and compare them (in /metrics)",
                ),
            ),
        ),
    ),
)
