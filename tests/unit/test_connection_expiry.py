"""The graphql-transport-ws handler that bounds a connection by its token, in process (fast).

The end-to-end behaviour is tested against uvicorn in tests/integration/test_subscription_expiry.py;
here the race it cannot make happen on demand: a message sent after the expiry but before the timer
has closed the socket is dropped, and the socket is closed with 4403 instead.
"""

from __future__ import annotations

import asyncio
import time
from datetime import timedelta
from typing import Any, cast

from strawberry.types.unset import UNSET, UnsetType

from graphql_api.auth.identity import ANONYMOUS
from graphql_api.graphql.connection import (
    TOKEN_EXPIRED_CLOSE_CODE,
    TOKEN_EXPIRED_REASON,
    ConnectionContext,
    TokenBoundConnection,
)
from graphql_api.settings import Settings

EVENT: Any = {"id": "1", "type": "next", "payload": {"data": {"productChanged": {"stock": 1}}}}


class RecordingSocket:
    """What the handler sends and how it closes, in place of Strawberry's WebSocket adapter."""

    def __init__(self) -> None:
        self.sent: list[dict[str, Any]] = []
        self.closed: list[tuple[int, str]] = []
        self.closing = asyncio.Event()

    async def send_json(self, message: dict[str, Any]) -> None:
        self.sent.append(message)

    async def close(self, code: int, reason: str) -> None:
        self.closed.append((code, reason))
        self.closing.set()


class TokenUntil:
    """A view whose on_ws_connect accepts the connection with a token in force until `expires_at`."""

    def __init__(self, expires_at: float) -> None:
        self.expires_at = expires_at

    async def on_ws_connect(self, context: ConnectionContext) -> UnsetType:
        context.token_expires_at = self.expires_at
        acknowledged: UnsetType = UNSET  # a plain connection_ack, as the service's view answers
        return acknowledged


def connection(expires_at: float | None, view: object = None) -> tuple[TokenBoundConnection, RecordingSocket]:
    context = ConnectionContext(
        dynamo=cast(Any, None), settings=Settings(), identity=ANONYMOUS, token_expires_at=expires_at
    )
    socket = RecordingSocket()
    handler = TokenBoundConnection(
        view=cast(Any, view),
        websocket=cast(Any, socket),
        context=context,
        root_value=None,
        schema=cast(Any, None),
        connection_init_wait_timeout=timedelta(seconds=10),
    )
    return handler, socket


def test_an_event_racing_the_expiry_is_dropped_and_the_socket_closed_with_4403() -> None:
    async def run() -> RecordingSocket:
        handler, socket = connection(expires_at=time.time() - 0.001)  # expired; the timer has not fired yet
        await handler.send_message(EVENT)
        await handler.send_message({"id": "1", "type": "complete"})
        return socket

    socket = asyncio.run(run())
    assert socket.sent == []
    assert socket.closed == [(TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_REASON)]


def test_an_event_while_the_token_is_in_force_is_sent() -> None:
    async def run() -> RecordingSocket:
        handler, socket = connection(expires_at=time.time() + 600)
        await handler.send_message(EVENT)
        return socket

    socket = asyncio.run(run())
    assert socket.sent == [EVENT]
    assert socket.closed == []


def test_the_connection_is_closed_when_its_token_expires_with_no_message_at_all() -> None:
    async def run() -> tuple[RecordingSocket, float, float]:
        expires_at = time.time() + 0.3
        handler, socket = connection(expires_at=None, view=TokenUntil(expires_at))
        await handler.handle_connection_init({"type": "connection_init", "payload": {}})
        await asyncio.wait_for(socket.closing.wait(), 10)
        closed_at = time.time()
        await handler.shutdown()
        return socket, expires_at, closed_at

    socket, expires_at, closed_at = asyncio.run(run())
    assert socket.sent == [{"type": "connection_ack"}]
    assert socket.closed == [(TOKEN_EXPIRED_CLOSE_CODE, TOKEN_EXPIRED_REASON)]
    assert closed_at >= expires_at
