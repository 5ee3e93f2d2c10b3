"""`graphql-api migrate plan|status|backfill|verify`: the move to the single-table layout (SPEC section 14; the
phases that change the service's writes and reads come in a later round: docs/migrating-to-single-table.md)."""

from __future__ import annotations

import argparse
import json
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
    from graphql_api.migration.phase import PHASES, current_phase

    phase = with_dynamo(settings, current_phase)
    if args.json:
        print(json.dumps({"phase": phase.name, "version": phase.version, "changedAt": phase.changed_at}))
    else:
        since = f" since {phase.changed_at}" if phase.changed_at else ""
        print(f"phase: {phase.name} (version {phase.version}){since}; phases: {' -> '.join(PHASES)}")
    return 0


def migrate_backfill(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.migration.phase import MIGRATION, clear_checkpoints
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.single_table_backfill import backfill
    from graphql_api.ops.table_admin import create_tables

    layout = _layout(settings)

    async def run(dynamo: Dynamo) -> Any:
        await create_tables(dynamo, tables=(layout.table, MIGRATION.table))
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
        f"migrate backfill into {layout.table.physical_name(settings.table_prefix)}: scanned {counts.scanned}, "
        f"copied {counts.copied}, kept newer {counts.kept}, orphaned {counts.orphaned}"
    )
    if result.complete:
        print("complete: every segment of every table copied (checkpoints kept: --restart copies again)")
    else:
        print(f"stopped after --max-pages {args.max_pages}; run the same command again to continue")
    return 0


def migrate_verify(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.single_table_verify import verify

    layout = _layout(settings)
    parity = with_dynamo(settings, lambda dynamo: verify(dynamo, layout, progress_for("migrate verify")))
    print("\n".join(parity.lines()))
    return 0 if parity.same else 1


def migrate_reads(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.migration.read_routing import NotNow, set_read_percent

    what = "shadow reads" if args.shadow else "reads"
    try:
        reads = with_dynamo(
            settings, lambda dynamo: set_read_percent(dynamo, args.pattern, args.percent, shadow=args.shadow)
        )
    except NotNow as refusal:
        print(f"migrate reads: {refusal}")
        return 1
    print(f"{what} of {args.pattern}: {args.percent}% recorded; every instance follows within 10 s")
    for pattern, percent in sorted(reads.items()):
        print(f"  {pattern}: {percent}%")
    return 0


MIGRATE = Group(
    "migrate",
    help="move to the single-table layout: plan, status, backfill, verify",
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
