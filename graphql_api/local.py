"""The embedded default: moto's DynamoDB-compatible server in a thread, on a free loopback port."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def embedded_dynamodb(host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run moto's server for the duration of the block; yields its endpoint URL."""
    port = port or free_port(host)
    server = ThreadedMotoServer(ip_address=host, port=port, verbose=False)
    server.start()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()
