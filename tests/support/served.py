"""The app under uvicorn in a thread of this process: a real HTTP and WebSocket server whose objects a test can see
(its migration watcher, its live updates), where `tests.backends.service_process` runs one in a process apart."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn
from starlette.applications import Starlette

from graphql_api.app import create_app
from graphql_api.local.embedded import free_port
from graphql_api.settings import Settings

STARTS_WITHIN = 60.0


@contextmanager
def served(settings: Settings) -> Iterator[tuple[str, Starlette]]:
    """The app on `settings`, serving until the block ends: its /graphql URL and the app."""
    app = create_app(settings)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, name="served-app", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTS_WITHIN
    while not server.started:
        assert thread.is_alive(), "the server stopped while starting (see the log)"
        assert time.monotonic() < deadline, f"the server did not start within {STARTS_WITHIN} s"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}/graphql", app
    finally:
        server.should_exit = True
        thread.join(STARTS_WITHIN)
