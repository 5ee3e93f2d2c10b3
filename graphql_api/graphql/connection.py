"""A graphql-transport-ws connection lives no longer than its token (SPEC section 10).

The token travels once, in `connection_init`. When it stops being accepted (its `exp` plus
AUTH_CLOCK_SKEW, the instant from which an HTTP request bearing it is refused) the connection is closed
with TOKEN_EXPIRED_CLOSE_CODE, reason "token expired", as Hasura closes a socket at its JWT's expiry. No
message of any operation is sent from that instant: every outgoing message is checked against the clock
right before it is written, so an event racing the close is dropped, not delivered.

4403, not 4401: the `graphql-ws` client never reconnects after 4401 (Unauthorized is in its list of
fatal codes) and does after 4403, calling `connectionParams` again, so a client that fetches a fresh
token there reconnects and resubscribes on its own. 4403 is also what a token already expired at
`connection_init` gets, so an expired token is answered the same way whenever it is noticed.

No refresh over the socket: graphql-transport-ws has no message for it (a second `connection_init`
closes the socket with 4429, and `ping`/`pong` payloads are not for authentication), so a client
reconnects with a fresh token. The connection's identity is therefore always its token's, and a
rule checked again for an event checks the token in force; a change of groups reaches a connection
when its token expires (Cognito's access tokens live an hour unless configured otherwise).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass
from typing import cast

from graphql import GraphQLError, GraphQLFormattedError, get_operation_ast, parse
from opentelemetry.trace import SpanKind, Status, StatusCode
from starlette.websockets import WebSocketDisconnect
from strawberry.subscriptions.protocols.graphql_transport_ws.handlers import BaseGraphQLTransportWSHandler, Operation
from strawberry.subscriptions.protocols.graphql_transport_ws.types import (
    ConnectionInitMessage,
    ErrorMessage,
    Message,
    SubscribeMessage,
)

from graphql_api import tracing
from graphql_api.errors import ApiError
from graphql_api.graphql.context import RequestContext

TOKEN_EXPIRED_CLOSE_CODE = 4403
TOKEN_EXPIRED_REASON = "token expired"  # noqa: S105 (a close reason, not a password)


@dataclass
class ConnectionContext(RequestContext):
    """A WebSocket's context: one per connection, shared by its operations."""

    token_expires_at: float | None = None
    """The Unix time from which the connection's token is refused; None without a token (nothing expires)."""
    charge_operation: Callable[[], Awaitable[None]] | None = None
    """Charges an operation started on the connection to its identity's rate limit (the HTTP view sets it);
    raises RATE_LIMITED over the limit."""

    def token_expired(self) -> bool:
        return self.token_expires_at is not None and time.time() >= self.token_expires_at


class TokenBoundConnection(BaseGraphQLTransportWSHandler[RequestContext, None]):
    """Strawberry's graphql-transport-ws handler, closing the connection when its token expires."""

    expiry: asyncio.Task[None] | None = None
    closed_for_expiry = False

    async def handle_connection_init(self, message: ConnectionInitMessage) -> None:
        await super().handle_connection_init(message)
        expires_at = self.context.token_expires_at if isinstance(self.context, ConnectionContext) else None
        if self.connection_acknowledged and expires_at is not None and self.expiry is None:
            self.expiry = asyncio.create_task(self._close_at(expires_at))

    async def handle_subscribe(self, message: SubscribeMessage) -> None:
        """As Strawberry's, once the operation is charged to the connection's rate limit (an error message if not)."""
        charge = self.context.charge_operation if isinstance(self.context, ConnectionContext) else None
        if charge is not None and self.connection_acknowledged and message["id"] not in self.operations:
            try:
                await charge()
            except ApiError as refused:
                entry = cast(GraphQLFormattedError, refused.entry())
                await self.send_message(ErrorMessage(id=message["id"], type="error", payload=[entry]))
                return
        await super().handle_subscribe(message)

    async def run_operation(self, operation: Operation[RequestContext, None]) -> None:
        """As Strawberry's, inside a span for the operation when tracing is on: one per query, mutation or
        subscription started on the socket, from `subscribe` to its end (a subscription's `complete`, either
        side), with the DynamoDB calls it makes as children. A socket has no request span: each is a root."""
        traced = tracing.tracer()
        if traced is None:
            await super().run_operation(operation)
            return
        kind, name = _operation_of(operation.query, operation.operation_name)
        attributes = {"graphql.operation.type": kind, "graphql.transport": "graphql-transport-ws"}
        if name is not None:
            attributes["graphql.operation.name"] = name
        with traced.start_as_current_span(
            f"GraphQL {name or kind}",
            kind=SpanKind.SERVER,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await super().run_operation(operation)
            except asyncio.CancelledError:
                span.set_attribute("graphql.cancelled", True)  # the client's complete, or the socket closed
                raise
            except Exception as error:
                span.record_exception(error)
                span.set_status(Status(StatusCode.ERROR))
                raise

    async def _close_at(self, instant: float) -> None:
        await asyncio.sleep(max(0.0, instant - time.time()))
        await self.close_expired()

    async def close_expired(self) -> None:
        if self.closed_for_expiry:
            return
        self.closed_for_expiry = True
        # The peer may be gone already: then there is nothing left to close.
        with suppress(RuntimeError, WebSocketDisconnect):
            await self.websocket.close(code=TOKEN_EXPIRED_CLOSE_CODE, reason=TOKEN_EXPIRED_REASON)

    async def send_message(self, message: Message) -> None:
        context = self.context
        if self.closed_for_expiry or (isinstance(context, ConnectionContext) and context.token_expired()):
            await self.close_expired()  # whatever the timer's progress, nothing is sent past the expiry
            return
        await super().send_message(message)

    async def shutdown(self) -> None:
        if self.expiry is not None:
            self.expiry.cancel()
            with suppress(asyncio.CancelledError):
                await self.expiry
        await super().shutdown()


def _operation_of(query: str, operation_name: str | None) -> tuple[str, str | None]:
    """The operation's type and name, for its span (parsed once more, only when tracing is on)."""
    try:
        found = get_operation_ast(parse(query, no_location=True), operation_name)
    except GraphQLError:
        found = None
    if found is None:
        return "operation", operation_name
    return found.operation.value, found.name.value if found.name is not None else operation_name


__all__ = ["TOKEN_EXPIRED_CLOSE_CODE", "ConnectionContext", "TokenBoundConnection"]
