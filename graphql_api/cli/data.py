"""The commands over the data at the configured DynamoDB (or the local default's running here): seed, explore,
check-patterns, validate, export. Their tools are imported when they run."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from graphql_api.cli.command import Command, argument, fail, positive
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.graphql.registry import ALL_TABLES, table_named
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS
from graphql_api.settings import Settings

if TYPE_CHECKING:
    from graphql_api.dynamo.client import Dynamo


def seed(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.seed import demo_dataset, write_dataset

    progress = progress_for("seed")
    written = with_dynamo(settings, lambda dynamo: write_dataset(dynamo, demo_dataset(), progress))
    print(", ".join(f"{table}: {count}" for table, count in written.items()))
    return 0


def explore(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.dynamo.serialization import deserialize_item

    table_name: str = args.table
    limit: int = args.limit
    try:
        table = table_named(table_name)
    except KeyError:
        fail(f"explore: unknown table {table_name!r}")
        return 2

    async def scan(dynamo: Dynamo) -> list[dict[str, Any]]:
        response = await dynamo.call("scan", TableName=table.physical_name(dynamo.table_prefix), Limit=limit)
        return [deserialize_item(item) for item in response.get("Items", [])]

    for item in with_dynamo(settings, scan):
        print(json.dumps(item, default=str, sort_keys=True))
    return 0


def check_patterns(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.graphql.schema import build_schema
    from graphql_api.ops.patterns import aligned_lines
    from graphql_api.ops.patterns import check_patterns as run_patterns

    schema = build_schema(settings)
    results = with_dynamo(settings, lambda dynamo: run_patterns(schema, dynamo, settings))
    for line in aligned_lines(results):
        print(line)
    return 0 if all(result.ok for result in results) else 1


def validate(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.progress import progress_for
    from graphql_api.ops.validate import validate_tables

    progress = progress_for("validate")
    segments: int = args.segments
    report = with_dynamo(settings, lambda dynamo: validate_tables(dynamo, segments=segments, progress=progress))
    for line in report.lines():
        print(line)
    return 1 if report.violations else 0


def export(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.export import ExportError, export_tables
    from graphql_api.ops.progress import progress_for

    progress = progress_for("export")
    directory: Path = args.directory
    segments: int = args.segments
    try:
        result = with_dynamo(
            settings, lambda dynamo: export_tables(dynamo, directory, segments=segments, progress=progress)
        )
    except ExportError as error:
        fail(f"export: {error}")
        return 2
    for line in result.lines():
        print(line)
    return 0


SEGMENTS = argument(
    "--segments", type=positive, default=DEFAULT_SEGMENTS, help=f"parallel scan segments (default {DEFAULT_SEGMENTS})"
)
"""validate's and export's --segments."""

SEED = Command("seed", help="load the demo data set", run=seed)

EXPLORE = Command(
    "explore",
    help="print a table's items as JSON lines",
    run=explore,
    arguments=(
        argument("table", help=", ".join(table.name for table in ALL_TABLES)),
        argument("--limit", type=int, default=20),
    ),
)

CHECK_PATTERNS = Command(
    "check-patterns",
    # No numbers here: the patterns are those by key and one per declared listing (graphql_api.ops.patterns).
    help="run every access pattern (those by key, and each declared listing's) and report its DynamoDB requests",
    run=check_patterns,
)

VALIDATE = Command(
    "validate",
    help="check the invariants the service keeps across tables; one line per violation, exit code 1 if any",
    description="Scan every table (parallel segments, consistent reads) and check what the service maintains: "
    "order lines against their orders' ItemCount and Total, OrderCount, email guards both ways, identity "
    "bindings, stock, review aggregates and reviewer guards. A violation seen is confirmed by a second scan, "
    "so that a write in flight during the first is not reported.",
    run=validate,
    arguments=(SEGMENTS,),
)

EXPORT = Command(
    "export",
    help="write every table to Parquet files in DIR, for SQL (DuckDB, Athena); needs the `export` extra",
    description="Scan every table (parallel segments, consistent reads) into DIR/<Table>/*.parquet with typed "
    "columns named as the table's attributes, and DIR/manifest.json (rows, files, when, and what the export "
    "guarantees). DIR must not exist or be empty.",
    run=export,
    arguments=(argument("directory", metavar="DIR", type=Path), SEGMENTS),
)
