"""`graphql-api serve`: the service, at the configured DynamoDB or as the local default (embedded DynamoDB and
Cognito with the demo data). The app, uvicorn and the operator's tools are imported when it runs, so that the
other commands start without them."""

from __future__ import annotations

import os
import secrets
import signal
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import TYPE_CHECKING, Any

from graphql_api.cli.command import Command, argument, fail, positive
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.cli.queries import ME_QUERY
from graphql_api.local.embedded import QUEUE_READ_TIMEOUT, embedded_dynamodb, is_loopback
from graphql_api.local.user_pool import (
    DEMO_PASSWORD,
    LOCAL_STATE_FILE,
    CachedAccessToken,
    LocalUserPool,
    create_local_user_pool,
    remove_local_state,
    sign_in,
    write_local_state,
)
from graphql_api.logs import logging_config

if TYPE_CHECKING:
    import argparse
    from types import FrameType

    from graphql_api.dynamo.client import Dynamo
    from graphql_api.http.graphiql import GraphiQLDefaults
    from graphql_api.settings import Settings

FORGEABLE_TOKENS_FLAG = "--allow-forgeable-tokens"


def serve(settings: Settings, args: argparse.Namespace) -> int:
    host: str = args.host
    port: int = args.port
    workers: int = args.workers
    if settings.embedded:
        if workers > 1:
            # The embedded DynamoDB and user pool live in this process: one process serves them.
            fail("serve: --workers needs DYNAMODB_ENDPOINT_URL or AWS: the local default is one process")
            return 2
        return serve_local_default(settings, host, port, args.allow_forgeable_tokens)
    import uvicorn

    from graphql_api.app import create_app, serving_alone
    from graphql_api.metrics import MULTIPROCESS_DIR

    uvicorn_logging = _uvicorn_logging(settings)
    app = create_app(settings)  # refuses unsafe settings (graphql_api.settings.check_safe_to_serve)
    print(
        f"Using DynamoDB at {settings.dynamodb_endpoint_url or 'AWS ' + settings.aws_region}, "
        f"table prefix {settings.table_prefix!r}. GraphiQL: {_url(host, port)}/graphql"
        + (f" ({workers} worker processes)" if workers > 1 else ""),
        flush=True,
    )
    if workers == 1:
        uvicorn.run(serving_alone(app), host=host, port=port, **uvicorn_logging)
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
        fail(
            f"serve: refusing to listen on {host}: the local default's user pool (moto's) signs tokens with a "
            "private key published in moto's source, so anyone who can reach this port can forge a token for any "
            f"user, staff and admin included. Listen on 127.0.0.1 (the default), or pass {FORGEABLE_TOKENS_FLAG} "
            "if you understand that.",
        )
        return 2
    import uvicorn

    from graphql_api.app import create_app, serving_alone
    from graphql_api.http.graphiql import GraphiQLDefaults
    from graphql_api.ops.seed import DEMO_EMAIL, demo_dataset, write_dataset
    from graphql_api.ops.table_admin import create_tables

    uvicorn_logging = _uvicorn_logging(settings)  # before the settings name the embedded server: text, not JSON
    with ExitStack() as stack:
        stack.enter_context(_stop_signals_as_exit())
        endpoint = stack.enter_context(embedded_dynamodb())
        local = create_local_user_pool(
            endpoint, settings.aws_region, settings.auth_staff_group, settings.auth_admin_group
        )
        settings = settings.replace(
            dynamodb_endpoint_url=endpoint,
            dynamodb_read_timeout=max(settings.dynamodb_read_timeout, QUEUE_READ_TIMEOUT),
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

        with_dynamo(settings, prepare)
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

        app = serving_alone(create_app(settings, graphiql_defaults=graphiql_defaults))
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


SERVE = Command(
    "serve",
    help="run the API (embedded DynamoDB with demo data when no endpoint or AWS settings)",
    run=serve,
    arguments=(
        argument("--host", default="127.0.0.1"),
        argument("--port", type=int, default=8000),
        argument(
            "--workers", type=positive, default=1, help="processes serving the same socket (not for the local default)"
        ),
        argument(
            FORGEABLE_TOKENS_FLAG,
            action="store_true",
            help="local default only: listen beyond loopback although anyone can forge the local user pool's tokens",
        ),
    ),
)
