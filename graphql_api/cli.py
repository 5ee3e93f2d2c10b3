"""The `graphql-api` command: serve, token, tables create|verify, seed, explore, check-patterns, backfill, validate,
export, schema, erd, docs, package lambda.

The local default (`serve` with no endpoint and no AWS credentials) runs moto's DynamoDB and Cognito in
process: a user pool with the demo users (graphql_api.local.user_pool), the demo data with Ada bound to her
identity, and the service verifying that pool's tokens with a cursor secret made up for the run. It listens
on loopback only unless `--allow-forgeable-tokens`, since anyone can sign tokens for moto's pool. It prints
the users, their password, Ada's `Authorization` header and the example query through `me`; GraphiQL opens
on them, with a token signed in again every 30 minutes (tokens live 1 hour).

`token EMAIL` signs in to the pool named by AUTH_ISSUER and AUTH_AUDIENCE (plus COGNITO_ENDPOINT_URL for
a Cognito-compatible server), or else to the local default running in the working directory.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import logging
import os
import secrets
import signal
import sys
import tempfile
from collections.abc import Awaitable, Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from types import FrameType
from typing import Any

import uvicorn

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.schema import build_schema
from graphql_api.http.graphiql import GraphiQLDefaults
from graphql_api.local.embedded import embedded_dynamodb, is_loopback
from graphql_api.local.user_pool import (
    DEMO_PASSWORD,
    LOCAL_STATE_FILE,
    CachedAccessToken,
    LocalUserPool,
    SignInFailed,
    UserPool,
    UserPoolNotConfigured,
    UserPoolUnreachable,
    create_local_user_pool,
    read_local_state,
    remove_local_state,
    sign_in,
    write_local_state,
)
from graphql_api.logs import configure_logging, logging_config
from graphql_api.metrics import MULTIPROCESS_DIR
from graphql_api.ops.backfill import BACKFILLS, BackfillError, run_backfill
from graphql_api.ops.docs_pages import stale_pages, write_pages
from graphql_api.ops.erd import mermaid
from graphql_api.ops.export import ExportError, export_tables
from graphql_api.ops.package_lambda import DEFAULT_OUTPUT, PYTHON_VERSION, PackagingError, build_lambda_zip
from graphql_api.ops.patterns import aligned_lines, check_patterns
from graphql_api.ops.progress import progress_for
from graphql_api.ops.seed import DEMO_EMAIL, demo_dataset, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS
from graphql_api.ops.table_verify import report_lines, verify
from graphql_api.ops.validate import validate_tables
from graphql_api.repositories import ALL_TABLES, table_named
from graphql_api.settings import Settings, SettingsError, load_settings

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
"""The canonical query for a customer by id (the tests' and benchmarks' request, with `{"id": ...}`)."""

ME_QUERY = """\
query Me {
  me {
    name email
    orders(first: 20) {
      edges { cursor node { orderId status orderDate total itemCount
        items { quantity unitPrice lineTotal product { productId name price } } } }
      pageInfo { hasNextPage endCursor }
    }
  }
}"""
"""The canonical query through `me`: the local default's example, which GraphiQL opens on."""

FORGEABLE_TOKENS_FLAG = "--allow-forgeable-tokens"
logger = logging.getLogger("graphql_api.cli")


def _fail(message: str) -> None:
    """A command's refusal or failure: a log line (JSON in production, graphql_api.logs), not a bare print."""
    logger.error(message)


class NoDynamoDB(Exception):
    """A data command with nothing to talk to: no endpoint, no AWS credentials, no local default running here."""


def _with_dynamo(settings: Settings, work: Callable[[Dynamo], Awaitable[Any]]) -> Any:
    """Run `work` with the configured DynamoDB; with none configured, the local default's running in this directory
    (its embedded server, named by its state file), so that `validate`, `export` and the others work on it."""
    if settings.embedded:
        local = read_local_state()
        if local is None:
            raise NoDynamoDB(
                "no DynamoDB to work on: set DYNAMODB_ENDPOINT_URL (or AWS credentials and AWS_REGION), or run "
                f"`graphql-api serve` (the local default) in this directory, which writes {LOCAL_STATE_FILE}"
            )
        settings = settings.replace(dynamodb_endpoint_url=local.endpoint_url)

    async def run() -> Any:
        async with open_dynamo(settings) as dynamo:
            return await work(dynamo)

    return asyncio.run(run())


def serve(settings: Settings, host: str, port: int, allow_forgeable_tokens: bool = False, workers: int = 1) -> int:
    if settings.embedded:
        if workers > 1:
            # The embedded DynamoDB and user pool live in this process: one process serves them.
            _fail("serve: --workers needs DYNAMODB_ENDPOINT_URL or AWS: the local default is one process")
            return 2
        return serve_local_default(settings, host, port, allow_forgeable_tokens)
    uvicorn_logging = _uvicorn_logging(settings)
    app = create_app(settings)  # refuses unsafe settings (graphql_api.settings.check_safe_to_serve)
    print(
        f"Using DynamoDB at {settings.dynamodb_endpoint_url or 'AWS ' + settings.aws_region}, "
        f"table prefix {settings.table_prefix!r}. GraphiQL: {_url(host, port)}/graphql"
        + (f" ({workers} worker processes)" if workers > 1 else ""),
        flush=True,
    )
    if workers == 1:
        uvicorn.run(app, host=host, port=port, **uvicorn_logging)
        return 0
    # uvicorn's process model: one socket, `workers` processes, each building the app from the environment.
    # /metrics sums over them (graphql_api.metrics: prometheus-client's multiprocess mode, in a directory of
    # this run, made before the workers start and removed after).
    with tempfile.TemporaryDirectory(prefix="graphql-api-metrics-") as metrics_dir:
        os.environ[MULTIPROCESS_DIR] = metrics_dir
        uvicorn.run(
            "graphql_api.app:app_from_env",
            factory=True,
            workers=workers,
            host=host,
            port=port,
            **uvicorn_logging,
        )
    return 0


def serve_local_default(settings: Settings, host: str, port: int, allow_forgeable_tokens: bool) -> int:
    """The embedded DynamoDB and user pool, the demo data with Ada bound to her identity, then the service."""
    if not is_loopback(host) and not allow_forgeable_tokens:
        _fail(
            f"serve: refusing to listen on {host}: the local default's user pool (moto's) signs tokens with a "
            "private key published in moto's source, so anyone who can reach this port can forge a token for any "
            f"user, staff and admin included. Listen on 127.0.0.1 (the default), or pass {FORGEABLE_TOKENS_FLAG} "
            "if you understand that.",
        )
        return 2
    uvicorn_logging = _uvicorn_logging(settings)  # before the settings name the embedded server: text, not JSON
    with ExitStack() as stack:
        stack.enter_context(_stop_signals_as_exit())
        endpoint = stack.enter_context(embedded_dynamodb())
        local = create_local_user_pool(
            endpoint, settings.aws_region, settings.auth_staff_group, settings.auth_admin_group
        )
        settings = settings.replace(
            dynamodb_endpoint_url=endpoint,
            auth_issuer=local.pool.issuer,
            auth_jwks_url=local.pool.jwks_url,
            auth_audience=(local.pool.client_id,),
            # An operator's CURSOR_SECRET is kept; else one for this run, which the embedded data does not outlive.
            cursor_secret=settings.cursor_secret or secrets.token_hex(32),
        )
        demo = demo_dataset(ada_subject=local.subject(DEMO_EMAIL))

        async def prepare(dynamo: Dynamo) -> None:
            await create_tables(dynamo)
            await write_dataset(dynamo, demo)

        _with_dynamo(settings, prepare)
        written = write_local_state(local.pool)
        stack.callback(remove_local_state, written)
        ada = demo.customers[0]
        header = f"Authorization: Bearer {sign_in(local.pool, DEMO_EMAIL, DEMO_PASSWORD)}"
        print(
            f"Embedded DynamoDB (moto) at {endpoint}: tables created, demo data loaded "
            f"({len(demo.customers)} customers, {len(demo.products)} products, {len(demo.orders)} orders)."
        )
        print(_local_user_pool_text(local, ada.name, ada.customer_id))
        if not is_loopback(host):
            print(f"WARNING: listening on {host} with {FORGEABLE_TOKENS_FLAG}: anyone who reaches it can forge tokens.")
        print(
            f"\n{ada.name}'s header (valid 1 hour; `graphql-api token {DEMO_EMAIL}` prints a new token):\n\n"
            f"{header}\n\nGraphiQL (opens on this query, with her header): {_url(host, port)}/graphql\n\n"
            f"{ME_QUERY}\n",
            flush=True,
        )
        ada_token = CachedAccessToken(local.pool, DEMO_EMAIL, DEMO_PASSWORD)

        async def graphiql_defaults() -> GraphiQLDefaults:
            authorization = f"Bearer {await ada_token.get()}"
            return GraphiQLDefaults(query=ME_QUERY, variables={}, headers={"Authorization": authorization})

        app = create_app(settings, graphiql_defaults=graphiql_defaults)
        uvicorn.run(app, host=host, port=port, **uvicorn_logging)
    return 0


def _uvicorn_logging(settings: Settings) -> dict[str, Any]:
    """uvicorn's lines through graphql_api.logs (in every worker); no access log: the request line says more."""
    return {
        "log_config": logging_config(settings.effective_log_format, settings.log_level),
        "log_level": settings.log_level.lower(),
        "access_log": False,
    }


@contextmanager
def _stop_signals_as_exit() -> Iterator[None]:
    """SIGTERM and SIGINT as SystemExit, so that the block's cleanup (the state file) runs: uvicorn shuts down
    gracefully on either, then raises it again, and SIGTERM's default would kill the process on the spot
    (SIGINT's, a KeyboardInterrupt, would print its traceback)."""

    def exit_now(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    previous = {stop: signal.signal(stop, exit_now) for stop in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for stop, handler in previous.items():
            signal.signal(stop, handler)


def _local_user_pool_text(local: LocalUserPool, ada_name: str, ada_customer_id: str) -> str:
    users = "\n".join(
        f"  {user.email:<20} {user.role}"
        + (f" (group {user.group})" if user.group else f": the demo customer {ada_name}, {ada_customer_id}")
        for user in local.users
    )
    return (
        f"Embedded Cognito user pool {local.pool.pool_id} (app client {local.pool.client_id}), issuer "
        f"{local.pool.issuer}; its tokens can be forged by anyone (moto's published key): for this machine only.\n"
        f"{users}\n  password of all three: {DEMO_PASSWORD}\n"
        f"({LOCAL_STATE_FILE} lets `graphql-api token EMAIL` in this directory sign in while this runs.)"
    )


def _url(host: str, port: int) -> str:
    host = host.strip("[]")
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def token(settings: Settings, email: str, password: str | None) -> int:
    """Print an access token for `email`, alone on stdout (for `$(graphql-api token ...)`)."""
    try:
        pool, local = _configured_user_pool(settings)
    except UserPoolNotConfigured as error:
        _fail(f"token: {error}")
        return 2
    if password is None:
        password = DEMO_PASSWORD if local else getpass.getpass(f"Password for {email}: ")
    try:
        print(sign_in(pool, email, password))
    except UserPoolUnreachable as error:
        stale = f" (is the local default still running? if not, delete {LOCAL_STATE_FILE})" if local else ""
        _fail(f"token: {error}{stale}")
        return 1
    except SignInFailed as error:
        _fail(f"token: {error}")
        return 1
    return 0


def _configured_user_pool(settings: Settings) -> tuple[UserPool, bool]:
    """The pool the settings name, else the local default's running here; and whether it is the local one."""
    if settings.auth_issuer:
        if not settings.auth_audience:
            raise UserPoolNotConfigured("AUTH_AUDIENCE is unset: it names the app client to sign in with")
        named = UserPool.from_issuer(settings.auth_issuer, settings.auth_audience[0], settings.cognito_endpoint_url)
        return named, False
    pool = read_local_state()
    if pool is None:
        raise UserPoolNotConfigured(
            "no user pool to sign in to: set AUTH_ISSUER (a Cognito user pool's issuer URL) and AUTH_AUDIENCE "
            f"(its app client id), or run `graphql-api serve` (the local default) in this directory, which "
            f"writes {LOCAL_STATE_FILE}"
        )
    return pool, True


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
                progress=progress_for("backfill"),
            ),
        )
    except BackfillError as error:
        _fail(f"backfill: {error}")
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


def validate(settings: Settings, segments: int) -> int:
    progress = progress_for("validate")
    report = _with_dynamo(settings, lambda dynamo: validate_tables(dynamo, segments=segments, progress=progress))
    for line in report.lines():
        print(line)
    return 1 if report.violations else 0


def export(settings: Settings, directory: Path, segments: int) -> int:
    progress = progress_for("export")
    try:
        result = _with_dynamo(
            settings, lambda dynamo: export_tables(dynamo, directory, segments=segments, progress=progress)
        )
    except ExportError as error:
        _fail(f"export: {error}")
        return 2
    for line in result.lines():
        print(line)
    return 0


def seed(settings: Settings) -> int:
    progress = progress_for("seed")
    written = _with_dynamo(settings, lambda dynamo: write_dataset(dynamo, demo_dataset(), progress))
    print(", ".join(f"{table}: {count}" for table, count in written.items()))
    return 0


def explore(settings: Settings, table_name: str, limit: int) -> int:
    try:
        table = table_named(table_name)
    except KeyError:
        _fail(f"explore: unknown table {table_name!r}")
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
    for line in aligned_lines(results):
        print(line)
    return 0 if all(result.ok for result in results) else 1


def print_erd() -> int:
    print(mermaid(), end="")
    return 0


def docs(directory: Path, check: bool) -> int:
    """Write the documentation site's generated pages (or, with --check, name the stale ones)."""
    if check:
        stale = stale_pages(directory, _parser())
        for name in stale:
            print(f"stale: {directory / name} (run `graphql-api docs`)")
        return 1 if stale else 0
    for path in write_pages(directory, _parser()):
        print(directory / path)
    return 0


def print_schema(settings: Settings) -> int:
    print(build_schema(settings).as_str())
    return 0


def package_lambda(output: Path) -> int:
    try:
        built = build_lambda_zip(output)
    except PackagingError as error:
        _fail(f"package lambda: {error}")
        return 1
    assets = "with GraphiQL's assets" if built.graphiql_assets else "GraphiQL loads its assets from the CDN"
    print(
        f"{built.path}: {built.size / 1e6:.1f} MB ({built.unzipped_size / 1e6:.1f} MB unzipped), {assets}; "
        f"handler graphql_api.aws_lambda.handler, runtime python{PYTHON_VERSION} (x86_64)"
    )
    if not built.precompiled:
        print(f"not precompiled (run it with Python {PYTHON_VERSION} for that): cold starts compile every module")
    return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="graphql-api", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    serve_parser = commands.add_parser(
        "serve", help="run the API (embedded DynamoDB with demo data when no endpoint or AWS settings)"
    )
    serve_parser.add_argument("--host", default="127.0.0.1")
    serve_parser.add_argument("--port", type=int, default=8000)
    serve_parser.add_argument(
        "--workers", type=_positive, default=1, help="processes serving the same socket (not for the local default)"
    )
    serve_parser.add_argument(
        FORGEABLE_TOKENS_FLAG,
        action="store_true",
        help="local default only: listen beyond loopback although anyone can forge the local user pool's tokens",
    )
    token_parser = commands.add_parser(
        "token",
        help="sign in to the configured user pool (or the local default's) and print an access token",
        description="Sign in (USER_PASSWORD_AUTH) to the Cognito user pool of AUTH_ISSUER with the app client "
        "AUTH_AUDIENCE (COGNITO_ENDPOINT_URL: a Cognito-compatible server instead of AWS), or else to the local "
        f"default running in this directory ({LOCAL_STATE_FILE}), and print the access token alone on stdout.",
    )
    token_parser.add_argument("email", metavar="EMAIL")
    token_parser.add_argument(
        "--password",
        help=f"default: the local default's demo password ({DEMO_PASSWORD}); asked for on other pools",
    )
    tables_parser = commands.add_parser("tables", help="manage the tables at the configured endpoint")
    tables_commands = tables_parser.add_subparsers(dest="tables_command", required=True)
    tables_commands.add_parser("create", help="create the declared tables that are missing (idempotent)")
    tables_commands.add_parser(
        "verify",
        help="compare the live tables with the declarations; one line per difference, exit code 1 on drift",
    )
    commands.add_parser("seed", help="load the demo data set")
    explore_parser = commands.add_parser("explore", help="print a table's items as JSON lines")
    explore_parser.add_argument("table", help=", ".join(table.name for table in ALL_TABLES))
    explore_parser.add_argument("--limit", type=int, default=20)
    commands.add_parser("check-patterns", help="run every access pattern (AP1-AP11) and report")
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
    validate_parser = commands.add_parser(
        "validate",
        help="check the invariants the service keeps across tables; one line per violation, exit code 1 if any",
        description="Scan every table (parallel segments, consistent reads) and check what the service maintains: "
        "order lines against their orders' ItemCount and Total, OrderCount, email guards both ways, identity "
        "bindings, stock, review aggregates and reviewer guards. A violation seen is confirmed by a second scan, "
        "so that a write in flight during the first is not reported.",
    )
    validate_parser.add_argument(
        "--segments",
        type=_positive,
        default=DEFAULT_SEGMENTS,
        help=f"parallel scan segments (default {DEFAULT_SEGMENTS})",
    )
    export_parser = commands.add_parser(
        "export",
        help="write every table to Parquet files in DIR, for SQL (DuckDB, Athena); needs the `export` extra",
        description="Scan every table (parallel segments, consistent reads) into DIR/<Table>/*.parquet with typed "
        "columns named as the table's attributes, and DIR/manifest.json (rows, files, when, and what the export "
        "guarantees). DIR must not exist or be empty.",
    )
    export_parser.add_argument("directory", metavar="DIR", type=Path)
    export_parser.add_argument(
        "--segments",
        type=_positive,
        default=DEFAULT_SEGMENTS,
        help=f"parallel scan segments (default {DEFAULT_SEGMENTS})",
    )
    commands.add_parser("schema", help="print the GraphQL SDL")
    commands.add_parser("erd", help="print the model as a Mermaid entity-relationship diagram (tables, keys, GSIs)")
    docs_parser = commands.add_parser(
        "docs",
        help="write the documentation site's generated pages (entities, ERD, settings, CLI, error codes)",
        description="Generate docs/reference/ from the code's declarations: one page per entity, the ERD, the "
        "settings, this command line and the error codes. A unit test fails while a committed page is stale.",
    )
    docs_parser.add_argument("--directory", type=Path, default=Path("docs"), help="the docs directory (default docs)")
    docs_parser.add_argument("--check", action="store_true", help="write nothing; exit 1 naming the stale pages")
    package_parser = commands.add_parser("package", help="build a deployment package")
    package_commands = package_parser.add_subparsers(dest="package_command", required=True)
    lambda_parser = package_commands.add_parser(
        "lambda",
        help=f"the AWS Lambda zip (python{PYTHON_VERSION}, x86_64) for the handler graphql_api.aws_lambda.handler",
        description="Install the runtime dependencies for Lambda's platform (no moto, no dev tools), add the "
        "package without graphql_api/local and GraphiQL's assets if fetched, precompile, and zip.",
    )
    lambda_parser.add_argument(
        "--output", type=Path, default=DEFAULT_OUTPUT, help=f"where to write the zip (default {DEFAULT_OUTPUT})"
    )
    return parser


def _positive(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:  # one line per setting, each naming its environment variable
        # Plain text: with the settings unusable, LOG_FORMAT itself may be what is wrong.
        print(f"graphql-api: the settings are not usable:\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings.effective_log_format, settings.log_level)
    try:
        return run(args, settings)
    except SettingsError as error:  # unsafe settings, found when the command starts
        _fail(f"{args.command}: the settings are not usable:\n{error}")
        return 2
    except (NoDynamoDB, UserPoolNotConfigured) as error:
        _fail(f"{args.command}: {error}")
        return 2
    except Exception:
        logger.exception(f"{args.command} failed")
        return 1


def run(args: argparse.Namespace, settings: Settings) -> int:
    if args.command == "serve":
        return serve(settings, args.host, args.port, args.allow_forgeable_tokens, args.workers)
    if args.command == "token":
        return token(settings, args.email, args.password)
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
    if args.command == "validate":
        return validate(settings, args.segments)
    if args.command == "export":
        return export(settings, args.directory, args.segments)
    if args.command == "package":
        return package_lambda(args.output)
    if args.command == "erd":
        return print_erd()
    if args.command == "docs":
        return docs(args.directory, args.check)
    return print_schema(settings)


if __name__ == "__main__":
    sys.exit(main())
