"""`graphql-api backfill NAME`: set a missing attribute on every item of a table, resumably."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphql_api.cli.command import Command, argument, fail, positive
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.ops.backfill import BACKFILLS, BackfillError, run_backfill
from graphql_api.ops.progress import progress_for
from graphql_api.settings import Settings


def backfill(settings: Settings, args: argparse.Namespace) -> int:
    chosen = BACKFILLS[args.name]
    checkpoint: Path | None = args.checkpoint
    print(
        f"backfill {chosen.name}: {chosen.table.physical_name(settings.table_prefix)}.{chosen.attribute} "
        f"({args.segments} segments, pages of {args.page_size} items)",
        flush=True,
    )
    try:
        result = with_dynamo(
            settings,
            lambda dynamo: run_backfill(
                dynamo,
                chosen,
                segments=args.segments,
                page_size=args.page_size,
                checkpoint_path=checkpoint,
                max_pages=args.max_pages,
                concurrency=args.concurrency,
                progress=progress_for("backfill"),
            ),
        )
    except BackfillError as error:
        fail(f"backfill: {error}")
        return 2
    if result.resumed:
        print(f"resumed from {checkpoint}")
    print(f"this run: {result.counts.summary()}")
    if result.resumed:
        print(f"since the checkpoint was started: {result.total.summary()}")
    if result.complete:
        done = f"; the checkpoint {checkpoint} now says so (delete it to scan again)" if checkpoint else ""
        print(f"complete: every segment scanned to its end{done}")
    else:
        print(f"stopped after --max-pages {args.max_pages}; run the same command again to continue from {checkpoint}")
    return 0


BACKFILL = Command(
    "backfill",
    help="set a missing attribute on every item of a table (after adding a GSI); resumable, idempotent",
    description="Scan a table in parallel segments and set the backfill's attribute on every item that "
    "lacks it, never overwriting a value. Backfills: "
    + "; ".join(f"{name}: {chosen.description}" for name, chosen in sorted(BACKFILLS.items())),
    run=backfill,
    arguments=(
        argument(
            "name",
            metavar="NAME",
            choices=sorted(BACKFILLS),
            help=f"the backfill to run: {', '.join(sorted(BACKFILLS))}",
        ),
        argument("--segments", type=positive, default=4, help="parallel scan segments (default 4)"),
        argument("--page-size", type=positive, default=100, help="items per Scan page (default 100)"),
        argument("--checkpoint", type=Path, help="progress file, saved after every page; an existing one is continued"),
        argument("--max-pages", type=positive, help="stop after this many pages in all (resume later)"),
        argument("--concurrency", type=positive, default=16, help="updates in flight (default 16)"),
    ),
)
