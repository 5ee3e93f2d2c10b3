"""AWS Lambda: `handler` serves the app to API Gateway HTTP APIs (payload 2.0) and Lambda function URLs (Mangum).

One execution environment builds the app (settings, schema, token verifier) and opens its lifespan (the
DynamoDB client) once, and every invocation it serves reuses them. Mangum would run the ASGI lifespan
around every invocation (Kludex/mangum#342), opening and closing the DynamoDB client each time, so it runs
with `lifespan="off"` and the lifespan is entered here, once, on the event loop that every invocation then
runs on, and left open until the environment ends. That loop is uvloop's, as under `serve` (uvicorn's
`--loop auto`; bench.lambda_start compares the two loops). Subscriptions need a long-running process
(`graphql-api serve`); `graphql-api package lambda` builds the deployment zip.

The init phase runs with the cyclic garbage collector paused: importing the stack and building the app make
hundreds of thousands of long-lived objects, which the collector would otherwise scan again and again (about
a tenth of the cold start's CPU, bench.lambda_start); they are then frozen out of later collections. The heavy
imports are made inside that pause, not at the top of this module, and the dataclasses and forward references
they make run the code that `graphql-api package lambda` compiled for them (graphql_api.compiled_texts).
"""

from __future__ import annotations

import asyncio
import atexit
import gc
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mangum.types import LambdaContext
    from starlette.applications import Starlette

    from graphql_api.settings import Settings

from graphql_api.compiled_texts import FILE_NAME, Uses, precompiled

BUNDLED_CACHE = Path(__file__).resolve().parent.parent / "graphql-api-cache"
"""In the deployment zip: GraphiQL's assets, laid out as in the user's cache (graphql_api.ops.package_lambda)."""
COMPILED_TEXTS = BUNDLED_CACHE.parent / FILE_NAME
"""In the deployment zip: the init phase's dataclass methods and forward references, compiled
(graphql_api.compiled_texts)."""


class LambdaService:
    """The service of one execution environment: the app on `settings`, its lifespan open, Mangum in front."""

    def __init__(self, settings: Settings) -> None:
        from mangum import Mangum  # imported in the init phase's pause of the collector (the module's docstring)
        from mangum.protocols import LifespanCycle

        from graphql_api.app import create_app

        _configure_logging(settings)
        if BUNDLED_CACHE.is_dir():
            # GraphiQL's page serves the assets that `assets_dir()` finds under the cache directory.
            os.environ["XDG_CACHE_HOME"] = str(BUNDLED_CACHE)
        self.loop = new_event_loop()
        asyncio.set_event_loop(self.loop)  # Mangum runs each invocation on the current loop: this one
        # No stream readers: a frozen environment cannot follow the streams (the relay writes the audit trail,
        # LIVE_BUS; a conditional GET is answered 304 only once its answer ran again, docs/caching.md).
        self.app: Starlette = create_app(settings.replace(audit_trail=False, public_cache_follow_changes=False))
        self.adapter = Mangum(self.app, lifespan="off")
        self._lifespan = LifespanCycle(self.app, "on")
        self._lifespan.__enter__()  # the app's startup, raising if it fails
        # Lambda never ends a process this way (it freezes, then stops it): for runs outside Lambda.
        atexit.register(self.close)

    def __call__(self, event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
        return self.adapter(event, context)

    def close(self) -> None:
        """The app's shutdown: closes the DynamoDB client."""
        self._lifespan.__exit__(None, None, None)
        self.loop.close()


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's loop when it is installed (it is in the zip), else asyncio's: what uvicorn's `--loop auto` picks."""
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


_service: LambdaService | None = None
compiled_texts_uses = Uses()
"""How the init phase's dataclasses and forward references got their code: from COMPILED_TEXTS (hits) or
compiled (misses)."""


def execution_environment() -> LambdaService:
    """This execution environment's service, built on first use from the environment's settings."""
    global _service, compiled_texts_uses
    if _service is None:
        with collector_paused(), precompiled(COMPILED_TEXTS) as compiled_texts_uses:
            from graphql_api.settings import load_settings

            _service = LambdaService(load_settings())
    return _service


@contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection inside; what was made until then is frozen out of later collections (`gc.freeze`:
    the init phase's modules, types and app live as long as the environment; the few cycles it left behind stay), and
    the collector runs as seldom as under `serve` (graphql_api.app.COLLECTOR_THRESHOLDS)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        from graphql_api.app import COLLECTOR_THRESHOLDS  # imported by the init phase already

        gc.freeze()
        gc.set_threshold(*COLLECTOR_THRESHOLDS)
        if enabled:
            gc.enable()


def handler(event: dict[str, Any], context: LambdaContext) -> dict[str, Any]:
    """The function's handler: one HTTP request (an HTTP API or function URL event) in, its response out."""
    return execution_environment()(event, context)


def _configure_logging(settings: Settings) -> None:
    """graphql_api.logs' lines (JSON unless LOG_FORMAT=text): through the handler Lambda's runtime installs (to
    CloudWatch), else on stderr."""
    from graphql_api.logs import configure_logging, use_on_handlers

    root = logging.getLogger()
    if root.handlers:
        use_on_handlers(settings.effective_log_format, root.handlers)
        root.setLevel(settings.log_level)
        logging.getLogger("mangum").setLevel(logging.WARNING)  # a line per request, as the app's own request log
    else:
        configure_logging(settings.effective_log_format, settings.log_level)


if "AWS_LAMBDA_FUNCTION_NAME" in os.environ:
    # In Lambda's runtime, build during the environment's init phase rather than in its first request.
    execution_environment()
