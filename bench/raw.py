"""A raw Starlette handler: the canonical query answered with the limit's requests, no GraphQL.

    uvicorn --factory bench.raw:app_from_env     (DYNAMODB_ENDPOINT_URL, TABLE_PREFIX, CURSOR_SECRET)

POST /graphql with the canonical request body (EXAMPLE_QUERY and `{"id": ...}`) answers the same
JSON as the service, built by `bench.limit.canonical` (4 requests, 4 waves); the query text is not
read. It is the ceiling for the service's throughput under the same uvicorn: what is left when the
GraphQL layer costs nothing.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from bench import limit
from bench.common import TrackingMiddleware, open_direct
from graphql_api.settings import Settings, load_settings


def create_raw_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_direct(settings) as direct:
            app.state.direct = direct
            yield

    async def canonical(request: Request) -> JSONResponse:
        body = json.loads(await request.body())
        data = await limit.canonical(request.app.state.direct, settings.cursor_secrets[0], body["variables"]["id"])
        return JSONResponse({"data": data})

    return Starlette(
        routes=[Route("/graphql", canonical, methods=["POST"])],
        middleware=[Middleware(TrackingMiddleware)],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    return create_raw_app(load_settings(env_file=None))
