"""The `graphql-api` command: serve, tables create|verify, seed, explore, check-patterns, backfill, schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import uvicorn

from graphql_api.app import create_app
from graphql_api.backfill import BACKFILLS, BackfillError, run_backfill
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.schema import build_schema
from graphql_api.local import embedded_dynamodb
from graphql_api.patterns import check_patterns
from graphql_api.seed import DEMO_EMAIL, demo_dataset, write_dataset
from graphql_api.settings import Settings, load_settings
from graphql_api.table_admin import create_tables
from graphql_api.table_verify import report_lines, verify
from graphql_api.tables import table_named

EXAMPLE_QUERY = """\
query Canonical($id: ID!) {
  customer(customerId: $id) {
    name email
    orders(first: 20) {
      edges { cursor node { orderId status orderDate total itemCount
        items { quantity unitPrice lineTotal product { productId name price } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""


def _with_dynamo(settings: Settings, work: Callable[[Dynamo], Awaitable[Any]]) -> Any:
    async def run() -> Any:
        async with open_dynamo(settings) as dynamo:
            return await work(dynamo)

    return asyncio.run(run())


def serve(settings: Settings, host: str, port: int) -> int:
    with ExitStack() as stack:
        if settings.embedded:
            endpoint = stack.enter_context(embedded_dynamodb())
            settings = settings.with_endpoint(endpoint)
            demo = demo_dataset()

            async def prepare(dynamo: Dynamo) -> None:
                await create_tables(dynamo)
                await write_dataset(dynamo, demo)

            _with_dynamo(settings, prepare)
            ada = demo.customers[0]
            print(
                f"Embedded DynamoDB (moto) at {endpoint}: tables created, demo data loaded "
                f"({len(demo.customers)} customers, {len(demo.products)} products, {len(demo.orders)} orders)."
            )
            print(
                f"\nGraphiQL: http://{host}:{port}/graphql\n\nTry this query with variables "
                f'{{"id": "{ada.customer_id}"}} ({ada.name}, {DEMO_EMAIL}):\n\n{EXAMPLE_QUERY}\n',
                flush=True,
            )
        else:
            print(
                f"Using DynamoDB at {settings.dynamodb_endpoint_url or 'AWS ' + settings.aws_region}, "
                f"table prefix {settings.table_prefix!r}. GraphiQL: http://{host}:{port}/graphql",
                flush=True,
            )
        uvicorn.run(create_app(settings), host=host, port=port, log_level=settings.log_level.lower())
    return 0


def tables_create(settings: Settings) -> int:
    created = _with_dynamo(settings, create_tables)
    print("created: " + ", ".join(created) if created else "all tables already exist")
    return 0


def tables_verify(settings: Settings) -> int:
    drifts = _with_dynamo(settings, verify)
    where = settings.dynamodb_endpoint_url or f"AWS {settings.aws_region}"
    print("\n".join(report_lines(drifts, prefix=settings.table_prefix, where=where)))
    return 1 if drifts else 0


def backfill(settings: Settings, args: argparse.Namespace) -> int:
    chosen = BACKFILLS[args.name]
    checkpoint: Path | None = args.checkpoint
    print(
        f"backfill {chosen.name}: {chosen.table.physical_name(settings.table_prefix)}.{chosen.attribute} "
        f"({args.segments} segments, pages of {args.page_size} items)",
        flush=True,
    )
    try:
        result = _with_dynamo(
            settings,
            lambda dynamo: run_backfill(
                dynamo,
                chosen,
                segments=args.segments,
                page_size=args.page_size,
                checkpoint_path=checkpoint,
                max_pages=args.max_pages,
                concurrency=args.concurrency,
            ),
        )
    except BackfillError as error:
        print(f"backfill: {error}", file=sys.stderr)
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


def seed(settings: Settings) -> int:
    written = _with_dynamo(settings, lambda dynamo: write_dataset(dynamo, demo_dataset()))
    print(", ".join(f"{table}: {count}" for table, count in written.items()))
    return 0


def explore(settings: Settings, table_name: str, limit: int) -> int:
    try:
        table = table_named(table_name)
    except KeyError:
        print(f"unknown table {table_name!r}", file=sys.stderr)
        return 2

    async def scan(dynamo: Dynamo) -> list[dict[str, Any]]:
        response = await dynamo.call("scan", TableName=table.physical_name(dynamo.table_prefix), Limit=limit)
        return [deserialize_item(item) for item in response.get("Items", [])]

    for item in _with_dynamo(settings, scan):
        print(json.dumps(item, default=str, sort_keys=True))
    return 0


def patterns(settings: Settings) -> int:
    schema = build_schema(settings)
    results = _with_dynamo(settings, lambda dynamo: check_patterns(schema, dynamo, settings))
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        print(
            f"{mark} {result.pattern.number} {result.pattern.name:<36} "
            f"dynamodb_requests={result.dynamodb_requests}  {'' if result.ok else result.detail}"
        )
    return 0 if all(result.ok for result in results) else 1


def print_schema(settings: Settings) -> int:
    print(build_schema(settings).as_str())
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphql-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="run the API (embedded DynamoDB with demo data when no endpoint or AWS settings)"
    )
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    tables_parser = commands.add_parser("tables", help="manage the tables at the configured endpoint")
    tables_commands = tables_parser.add_subparsers(dest="tables_command", required=True)
    tables_commands.add_parser("create", help="create the declared tables that are missing (idempotent)")
    tables_commands.add_parser(
        "verify",
        help="compare the live tables with the declarations; one line per difference, exit code 1 on drift",
    )
    commands.add_parser("seed", help="load the demo data set")
    explore_parser = commands.add_parser("explore", help="print a table's items as JSON lines")
    explore_parser.add_argument("table", help="Customers, Orders, OrderItems or Products")
    explore_parser.add_argument("--limit", type=int, default=20)
    commands.add_parser("check-patterns", help="run every access pattern AP1-AP8 and report")
    backfill_parser = commands.add_parser(
        "backfill",
        help="set a missing attribute on every item of a table (after adding a GSI); resumable, idempotent",
        description="Scan a table in parallel segments and set the backfill's attribute on every item that "
        "lacks it, never overwriting a value. Backfills: "
        + "; ".join(f"{name}: {chosen.description}" for name, chosen in sorted(BACKFILLS.items())),
    )
    backfill_parser.add_argument(
        "name", metavar="NAME", choices=sorted(BACKFILLS), help=f"the backfill to run: {', '.join(sorted(BACKFILLS))}"
    )
    backfill_parser.add_argument("--segments", type=_positive, default=4, help="parallel scan segments (default 4)")
    backfill_parser.add_argument("--page-size", type=_positive, default=100, help="items per Scan page (default 100)")
    backfill_parser.add_argument(
        "--checkpoint", type=Path, help="progress file, saved after every page; an existing one is continued"
    )
    backfill_parser.add_argument("--max-pages", type=_positive, help="stop after this many pages in all (resume later)")
    backfill_parser.add_argument("--concurrency", type=_positive, default=16, help="updates in flight (default 16)")
    commands.add_parser("schema", help="print the GraphQL SDL")
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the embedded moto server's access log
    if args.command == "serve":
        return serve(settings, args.host, args.port)
    if args.command == "tables":
        return tables_verify(settings) if args.tables_command == "verify" else tables_create(settings)
    if args.command == "seed":
        return seed(settings)
    if args.command == "explore":
        return explore(settings, args.table, args.limit)
    if args.command == "check-patterns":
        return patterns(settings)
    if args.command == "backfill":
        return backfill(settings, args)
    return print_schema(settings)


if __name__ == "__main__":
    sys.exit(main())
