"""The `graphql-api` command: serve, tables create, seed, explore, check-patterns, schema."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from typing import Any

import uvicorn

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.schema import build_schema
from graphql_api.local import embedded_dynamodb
from graphql_api.patterns import check_patterns
from graphql_api.seed import DEMO_EMAIL, demo_dataset, write_dataset
from graphql_api.settings import Settings, load_settings
from graphql_api.table_admin import create_tables
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
    commands.add_parser("seed", help="load the demo data set")
    explore_parser = commands.add_parser("explore", help="print a table's items as JSON lines")
    explore_parser.add_argument("table", help="Customers, Orders, OrderItems or Products")
    explore_parser.add_argument("--limit", type=int, default=20)
    commands.add_parser("check-patterns", help="run every access pattern AP1-AP8 and report")
    commands.add_parser("schema", help="print the GraphQL SDL")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    settings = load_settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the embedded moto server's access log
    if args.command == "serve":
        return serve(settings, args.host, args.port)
    if args.command == "tables":
        return tables_create(settings)
    if args.command == "seed":
        return seed(settings)
    if args.command == "explore":
        return explore(settings, args.table, args.limit)
    if args.command == "check-patterns":
        return patterns(settings)
    return print_schema(settings)


if __name__ == "__main__":
    sys.exit(main())
