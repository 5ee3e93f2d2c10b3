"""The Starlette application: GraphQL (and GraphiQL) at /graphql, GraphiQL's assets, /healthz and /readyz."""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route, WebSocketRoute

from graphql_api import tracing
from graphql_api.auth.tokens import TokenVerifier
from graphql_api.dynamo.client import open_dynamo
from graphql_api.dynamo.transactions import install_mirror
from graphql_api.errors import ApiError, Throttled, Unavailable
from graphql_api.graphql.registry import ALL_TABLES, DATA_ENTITIES
from graphql_api.graphql.schema import build_schema
from graphql_api.http.body_limit import BodySizeLimitMiddleware
from graphql_api.http.graphiql import ASSETS_PATH, GraphiQLDefaults, GraphiQLPage, graphiql_page
from graphql_api.http.security_headers import SecurityHeadersMiddleware
from graphql_api.http.tracing import TracingMiddleware
from graphql_api.http.view import GraphQLView
from graphql_api.live.service import LiveUpdates
from graphql_api.metrics import metrics_endpoint
from graphql_api.migration.dual_write import DualWrite
from graphql_api.migration.layout import Layout
from graphql_api.migration.read_routing import ReadRouter, route_reads
from graphql_api.migration.watch import MigrationWatch
from graphql_api.request_scope import RequestScopeMiddleware, current_request_id
from graphql_api.services import Services, services_of
from graphql_api.settings import Settings, check_safe_to_serve
from graphql_api.table_status import missing_tables

logger = logging.getLogger(__name__)

# GraphiQL's page with its assets served by this app (graphql_api.http.graphiql): nothing from elsewhere, and of
# inline script only the page's own bootstrap, allowed by its hash. Its inline <style> needs 'unsafe-inline'.
GRAPHIQL_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' {inline_script_hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)
# The fallback when scripts/graphiql-assets.sh has not fetched the assets: the page loads them from unpkg.
GRAPHIQL_CDN_CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://unpkg.com; "
    "style-src 'self' 'unsafe-inline' https://unpkg.com; img-src 'self' data:; "
    "font-src 'self' data: https://unpkg.com; "
    "connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


async def healthz(request: Request) -> JSONResponse:
    """The process is up (no dependency checked)."""
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> JSONResponse:
    """DynamoDB answers and every declared table is ACTIVE."""
    try:
        missing = await missing_tables(services_of(request.app).dynamo, ALL_TABLES)
    except Throttled:
        # DynamoDB answered: throttling is load, not an outage; taking replicas out would not help.
        return JSONResponse({"status": "ready", "note": "DynamoDB is throttling"})
    except ApiError:
        return JSONResponse({"status": "unavailable", "reason": "database unreachable"}, Unavailable.http_status)
    if missing:
        return JSONResponse({"status": "unavailable", "missingTables": missing}, Unavailable.http_status)
    return JSONResponse({"status": "ready"})


def graphiql_policy(page: GraphiQLPage) -> str:
    if not page.local:
        return GRAPHIQL_CDN_CONTENT_SECURITY_POLICY
    return GRAPHIQL_CONTENT_SECURITY_POLICY.format(inline_script_hashes=" ".join(page.inline_script_hashes))


def create_app(
    settings: Settings, *, graphiql_defaults: Callable[[], Awaitable[GraphiQLDefaults]] | None = None
) -> Starlette:
    """The service on `settings`. `graphiql_defaults` (the local default's) fills in GraphiQL's editors."""
    for warning in check_safe_to_serve(settings):
        logger.warning(warning)
    schema = build_schema(settings)
    graphiql = graphiql_page()
    verifier = TokenVerifier(settings)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if verifier.keys:
            verifier.keys.prefetch()
        live = LiveUpdates(settings)
        async with open_dynamo(settings) as dynamo:
            migration = MigrationWatch(dynamo, settings.migration_poll_seconds)
            await migration.start()  # the phase before the first request; then polled (SPEC 14)
            layout = Layout(DATA_ENTITIES, settings.single_table_name)
            # Subscriptions and the audit trail across cutover: the single table's stream too (reads, cutover).
            live.follow_single_table(
                layout.table,
                layout.from_single,
                lambda: migration.state.single_stream,
                lambda: migration.state.single_write,
            )
            install_mirror(dynamo, DualWrite(dynamo, layout, migration))
            # Reads of each access pattern from the single table as `migrate reads` says (SPEC 14).
            route_reads(dynamo, ReadRouter.following(migration, layout, settings.table_prefix, current_request_id))
            app.state.services = Services(dynamo=dynamo, live=live, migration=migration)
            try:
                yield
            finally:
                await view.settled()  # the rate limiter's writes in flight, before the client closes
                await migration.close()
                await live.close()
        if verifier.keys:
            await verifier.keys.close()

    view = GraphQLView(schema, settings, verifier, graphiql, graphiql_defaults)
    # Traces only when the OTEL_* variables ask for them (graphql_api.tracing): off, not even a middleware.
    tracer = tracing.tracer() if tracing.configure_from_environment() else None
    traced = [] if tracer is None else [Middleware(TracingMiddleware, tracer=tracer)]
    app = Starlette(
        routes=[
            Route("/graphql", view),
            WebSocketRoute("/graphql", view),
            Route(ASSETS_PATH + "{name:path}", graphiql.serve_asset),
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/metrics", metrics_endpoint),
        ],
        middleware=[
            *traced,
            Middleware(RequestScopeMiddleware),
            Middleware(SecurityHeadersMiddleware, html_policy=graphiql_policy(graphiql)),
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_allow_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
                expose_headers=["x-request-id", "www-authenticate"],
                max_age=600,
            ),
            Middleware(BodySizeLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        lifespan=lifespan,
    )
    app.state.schema = schema  # for tools and tests: its plans, its trusted documents
    return app


def app_from_env() -> Starlette:
    """For `uvicorn --factory graphql_api.app:app_from_env`: the app on settings from the environment."""
    from graphql_api.settings import load_settings

    return serving_alone(create_app(load_settings()))


COLLECTOR_THRESHOLDS = (20_000, 50, 100)
"""The cyclic garbage collector's thresholds while serving (Python's default: 700, 10, 10). An answer allocates tens
of thousands of containers, nearly all freed by their reference counts: at 700 the collector ran dozens of times per
answer. bench.run, side by side: p50 16.8 against 17.9 ms, 124 against 114 answers a second."""


def serving_alone(app: Starlette) -> Starlette:
    """`app`, built in a process that serves nothing else (`graphql-api serve`, uvicorn's factory), with what was
    built to serve it frozen out of the cyclic garbage collector, and the collector run less often.

    The modules, the schema and the app are some hundreds of thousands of objects that live as long as the process;
    without `gc.freeze` every full collection walks them again, while a request's answer is being made. The Lambda
    handler does the same after its init (graphql_api.aws_lambda.collector_paused). Measured with bench.run (the
    service with and without, side by side): 122 against 107 canonical answers a second, p99 38 against 78 ms.
    Not for a process that builds many apps (the tests): a frozen object is never collected.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*COLLECTOR_THRESHOLDS)
    return app
