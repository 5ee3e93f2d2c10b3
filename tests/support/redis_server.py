"""A redis-server for the length of a block (tests/support/live_bus.RedisServer), for a module's fixture."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from tests.support.live_bus import RedisServer


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    with ExitStack() as stack:
        server = RedisServer()
        server.start()
        stack.callback(server.stop)  # stopped however the block ends
        yield server
