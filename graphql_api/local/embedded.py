"""The embedded default: moto's DynamoDB-compatible server (and its Cognito), on a free loopback port.

Requests are served one at a time. moto applies a TransactWriteItems without isolation from
other threads, so a threaded moto lets two concurrent transactions both pass their conditions
(an oversold product, a doubly placed order). Serving requests one by one makes its transactions
as serializable as DynamoDB's; the service stays concurrent, only the emulator queues.

    python -m graphql_api.local --port 8001     # run it on its own (the tests do)
"""

from __future__ import annotations

import argparse
import ipaddress
import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from werkzeug.serving import BaseWSGIServer

QUEUE_READ_TIMEOUT = 60.0
"""The least read timeout for clients of the embedded server (`serve`'s local default and the data commands run
against it). It answers one request at a time, so a burst queues: `validate`'s parallel scans, or a page of
concurrent requests on a busy laptop, waited past DYNAMODB_READ_TIMEOUT's default of 5 s (made for DynamoDB,
which does not queue) and failed after three attempts. A call waiting its turn is not a failure."""


def is_loopback(host: str) -> bool:
    """Whether listening on `host` keeps a server on this machine (localhost, 127.0.0.0/8, ::1)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # another host name: it may resolve to anything
        return False


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


def make_moto_server(host: str, port: int) -> BaseWSGIServer:
    # Imported here: moto (and its werkzeug) is the `local` extra, which a service on AWS does not install.
    try:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server
    except ImportError as error:
        raise ImportError(
            f"the embedded DynamoDB needs moto ({error}); from the checkout: pip install -e '.[local]'"
        ) from error
    app = DomainDispatcherApplication(create_backend_app)
    return make_server(host, port, app, threaded=False, request_handler=MotoRequestHandler)


@contextmanager
def embedded_dynamodb(host: str = "127.0.0.1", port: int | None = None) -> Iterator[str]:
    """Run moto's server in a thread for the duration of the block; yields its endpoint URL."""
    server = make_moto_server(host, port or free_port(host))
    thread = threading.Thread(target=server.serve_forever, name="embedded-dynamodb", daemon=True)
    thread.start()
    try:
        yield f"http://{host}:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    parser = argparse.ArgumentParser(description="moto's DynamoDB, serving one request at a time")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8001)
    args = parser.parse_args()
    make_moto_server(args.host, args.port).serve_forever()


if __name__ == "__main__":
    main()
