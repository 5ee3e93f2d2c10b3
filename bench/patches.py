"""Proposed service fixes, tried as monkeypatches in a benchmark process only, to measure their effect.

    BENCH_SERVICE_PATCHES=caches,fromisoformat uvicorn --factory bench.patches:app_from_env

`bench.run --service-patches caches,fromisoformat` starts this next to the unpatched service, so
both are measured in the same run, interleaved. Nothing here changes the product: each patch is
the measured stand-in for a source change proposed in docs/performance.md.

- `caches`: graphql_api/graphql/limits.py `limit_extensions` builds the depth and alias rule classes
  once (strawberry's QueryDepthLimiter and MaxAliasesLimiter make a new class per instance, so a
  factory per request defeats any cache) and adds strawberry's ParserCache and ValidationCache:
  the same document is parsed and validated once, not on every request.
- `fromisoformat`: graphql_api/clock.py `parse_timestamp` reads the stored fixed-width format with
  `datetime.fromisoformat` (C) instead of `strptime` (Python, locale lookups): ~180 per canonical query.
- `no-param-validation`: graphql_api/dynamo/client.py `config_kwargs` adds
  `parameter_validation=False`: botocore stops re-validating every request against the model
  (the repositories build the parameters; DynamoDB validates them anyway).

All three have since been applied in the source (graphql_api/graphql/limits.py,
graphql_api/clock.py, graphql_api/dynamo/client.py): against the current tree they change
nothing, and are kept so that the measurements in docs/performance.md can be repeated on the
revisions before. Two more were measured with patches removed since, as the source now does them:
placeOrder with an idempotency key reads the order in the same BatchGetItem as the customer and
the products (graphql_api/repositories/order_writes.py); and `fast-parser`, a response parser
that takes the JSON of data-plane responses as DynamoDB sent it instead of botocore's walk of
every attribute value (-4.2 ms CPU per canonical answer as a patch), is
graphql_api/dynamo/fast_parser.py, on by default (-5.6 ms, 22.1 -> 16.5):
`bench.profile --variants "dynamodb_fast_parser=false;none"` measures it now.

- `no-prefetch` is the other way round: the service without prefetching a page's lines and products
  (graphql_api/graphql/entities/order.py `prefetch_lines`), to measure what prefetching saves; `all` leaves it out.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

from starlette.applications import Starlette
from starlette.types import ASGIApp

from bench.common import TrackingMiddleware, count_waves

PATCHES_ENV = "BENCH_SERVICE_PATCHES"


def _caches() -> None:
    from strawberry.extensions import (
        AddValidationRules,
        MaxAliasesLimiter,
        ParserCache,
        QueryDepthLimiter,
        SchemaExtension,
        ValidationCache,
    )

    import graphql_api.graphql.schema as schema_module
    from graphql_api.graphql import limits
    from graphql_api.settings import Settings

    def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
        depth = QueryDepthLimiter(max_depth=settings.graphql_max_depth, should_ignore=limits._skip_introspection)
        aliases = MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases)
        rules = [*depth.validation_rules, *aliases.validation_rules]  # one class each, for the process
        return [
            lambda: AddValidationRules(rules),
            lambda: limits.ShapeLimits(settings),
            lambda: ParserCache(maxsize=256),
            lambda: ValidationCache(maxsize=256),
        ]

    schema_module.limit_extensions = limit_extensions  # type: ignore[attr-defined]


def _fromisoformat() -> None:
    from graphql_api import clock
    from graphql_api.repositories import customers, orders, products

    strict = clock.parse_timestamp

    def parse_timestamp(text: str) -> datetime:
        # The stored shape, 2026-01-02T03:04:05.123456Z, is ISO 8601; anything else takes the strict path.
        if len(text) == 27 and text[-1] == "Z":
            return datetime.fromisoformat(text)
        return strict(text)

    for module in (clock, customers, orders, products):
        module.parse_timestamp = parse_timestamp  # type: ignore[attr-defined]


def _no_param_validation() -> None:
    from graphql_api.dynamo import client

    original = client.config_kwargs

    def config_kwargs(settings: Any) -> dict[str, Any]:
        return {**original(settings), "parameter_validation": False}

    client.config_kwargs = config_kwargs


def _no_prefetch() -> None:
    """The opposite of a fix: the service without prefetching a page's lines and products, to measure what
    prefetching (graphql_api/graphql/entities/order.py `prefetch_lines`) saves."""
    from graphql_api.graphql.entities import customer, order

    async def as_it_is(info: Any, connection: Any) -> Any:
        return connection

    setattr(customer, "prefetch_lines", as_it_is)  # noqa: B010 - both modules imported it by name
    setattr(order, "prefetch_lines", as_it_is)  # noqa: B010


PATCHES: dict[str, Callable[[], None]] = {
    "caches": _caches,
    "fromisoformat": _fromisoformat,
    "no-param-validation": _no_param_validation,
    "no-prefetch": _no_prefetch,
}
REVERSALS = frozenset({"no-prefetch"})
"""Patches that take a fix out (to measure it), left out of `all`."""


def parse(names: str) -> list[str]:
    """The patch names in a comma-separated list, all known (else SystemExit); `all` is every patch."""
    found = [name.strip() for name in names.split(",") if name.strip()]
    if "all" in found:
        found = [name for name in found if name != "all"]
        found += [name for name in PATCHES if name not in found and name not in REVERSALS]
    for name in found:
        if name not in PATCHES:
            raise SystemExit(f"unknown patch {name!r}; known: {', '.join(PATCHES)}")
    return found


def apply(names: str) -> list[str]:
    """Apply the named patches in this process."""
    found = parse(names)
    for name in found:
        PATCHES[name]()
    return found


def app_from_env() -> ASGIApp:
    """The service's own factory (graphql_api.app.app_from_env) after the patches named in BENCH_SERVICE_PATCHES.

    Its DynamoDB client is wrapped to count waves, reported in `X-DynamoDB-Waves` (bench.common).
    """
    apply(os.environ.get(PATCHES_ENV, ""))
    from graphql_api.app import app_from_env as service_app_from_env

    return with_wave_count(service_app_from_env())


def with_wave_count(app: Starlette) -> ASGIApp:
    """The service app, its Dynamo wrapped once its lifespan opened it, waves in a response header."""
    opened = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with opened(app):
            count_waves(app)
            yield

    app.router.lifespan_context = lifespan
    return TrackingMiddleware(app, report_requests=False)
