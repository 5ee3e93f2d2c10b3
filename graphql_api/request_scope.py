"""One HTTP request as the service sees it: its id, the caller's identity and what it cost.

A `RequestScope` per request, held in one context variable that `RequestScopeMiddleware` sets. The
view notes the verified identity; the DynamoDB client each request it sends (retries included) and the
capacity DynamoDB reports, as the scope registers itself its observer (graphql_api.dynamo.observer); the
GraphQL layer the operations run, their estimated cost (before execution, graphql_api.graphql.cost) and
the error codes answered. At the end the middleware writes
one JSON log line and the latency metric; the response carries the request id (quoted in masked
errors), the number of DynamoDB requests and the estimate.
"""

from __future__ import annotations

import logging
import re
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.auth.identity import Identity
from graphql_api.dynamo.observer import CallObserver, current_observer, observed_by
from graphql_api.metrics import GRAPHQL_DURATION, GRAPHQL_ERRORS, operation_label

logger = logging.getLogger("graphql_api.request")

_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
NO_REQUEST_ID = "-"


@dataclass
class RequestScope:
    request_id: str
    identity: Identity | None = None
    """Set by the view once the token is verified; None before, and on requests that are not GraphQL."""
    dynamodb_operations: list[str] = field(default_factory=list)
    consumed_capacity: float = 0.0
    read_capacity: float = 0.0
    items_examined: int = 0
    graphql_operations: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    estimated_requests: int = 0
    """The DynamoDB requests the operations may cause, estimated before they run (summed over a batch)."""
    estimated_items: int = 0
    # The boto3 transport records from its thread pool.
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dynamodb_requests(self) -> int:
        return len(self.dynamodb_operations)

    def record_dynamodb_request(self, operation: str) -> None:
        with self._lock:
            self.dynamodb_operations.append(operation)

    def add_capacity(self, units: float) -> None:
        with self._lock:
            self.consumed_capacity += units

    def add_read(self, units: float, items_examined: int) -> None:
        with self._lock:
            self.read_capacity += units
            self.items_examined += items_examined

    def add_estimate(self, requests: int, items: int) -> None:
        self.estimated_requests += requests
        self.estimated_items += items

    def cost(self) -> dict[str, int | float]:
        """What the request cost so far, beside what was estimated (an answer's `extensions.cost`)."""
        return {
            "requests": self.dynamodb_requests,
            "readCapacityUnits": self.read_capacity,
            "itemsExamined": self.items_examined,
            "estimatedRequests": self.estimated_requests,
            "estimatedItems": self.estimated_items,
        }


@dataclass
class OperationCost:
    """What one GraphQL answer cost in DynamoDB (its `extensions.cost`): the requests sent for it (retries
    included), the read capacity DynamoDB reported for its reads, and the items its reads examined (a Query's
    ScannedCount, the items a GetItem or BatchGetItem returned). Whatever it is told it passes on to the observer
    it was opened under (the request's scope), so the request's own totals stay whole."""

    parent: CallObserver | None = None
    requests: int = 0
    read_capacity: float = 0.0
    items_examined: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def record_dynamodb_request(self, operation: str) -> None:
        with self._lock:
            self.requests += 1
        if self.parent is not None:
            self.parent.record_dynamodb_request(operation)

    def add_capacity(self, units: float) -> None:
        if self.parent is not None:
            self.parent.add_capacity(units)

    def add_read(self, units: float, items_examined: int) -> None:
        with self._lock:
            self.read_capacity += units
            self.items_examined += items_examined
        if self.parent is not None:
            self.parent.add_read(units, items_examined)

    def taken(self) -> dict[str, int | float]:
        """The cost so far, as an answer carries it; the meter starts again from 0 (a subscription's next event)."""
        with self._lock:
            cost: dict[str, int | float] = {
                "requests": self.requests,
                "readCapacityUnits": self.read_capacity,
                "itemsExamined": self.items_examined,
            }
            self.requests, self.read_capacity, self.items_examined = 0, 0.0, 0
        return cost


@contextmanager
def operation_cost(meter: OperationCost | None = None) -> Iterator[OperationCost]:
    """Meters the DynamoDB calls of the block (and of tasks it starts) for one answer, inside the request's scope."""
    meter = meter or OperationCost(current_observer())
    with observed_by(meter):
        yield meter


_current: ContextVar[RequestScope | None] = ContextVar("request_scope", default=None)


@contextmanager
def request_scope(request_id: str | None = None) -> Iterator[RequestScope]:
    """A new scope for the block: an HTTP request, or a unit of work measured alike (check-patterns)."""
    scope = RequestScope(request_id or uuid.uuid4().hex)
    token = _current.set(scope)
    try:
        with observed_by(scope):
            yield scope
    finally:
        _current.reset(token)


def scope_if_any() -> RequestScope | None:
    """The current scope; None outside a request (a CLI command's DynamoDB calls are counted nowhere)."""
    return _current.get()


def current_scope() -> RequestScope:
    scope = _current.get()
    if scope is None:
        raise RuntimeError("outside a request scope: the app's RequestScopeMiddleware opens one per request")
    return scope


def current_request_id() -> str:
    scope = _current.get()
    return NO_REQUEST_ID if scope is None else scope.request_id


def current_identity() -> Identity:
    """The caller, as the view verified it before running any operation."""
    identity = current_scope().identity
    if identity is None:
        raise RuntimeError("no identity in this request scope: GraphQLView sets it before running an operation")
    return identity


def record_error_codes(codes: list[str]) -> None:
    """Count the codes answered (metrics) and note them in the request's scope (its log line)."""
    scope = _current.get()
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()
        if scope is not None:
            scope.error_codes.append(code)


class RequestScopeMiddleware:
    """Opens a scope per HTTP request, from a sane incoming `X-Request-ID` or a new id, and reports it."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        with request_scope(incoming if _SANE_REQUEST_ID.match(incoming) else None) as current:
            started = time.perf_counter()
            status = 500

            async def send_with_headers(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", current.request_id.encode()))
                    headers.append((b"x-dynamodb-requests", str(current.dynamodb_requests).encode()))
                    headers.append((b"x-estimated-dynamodb-requests", str(current.estimated_requests).encode()))
                    message = {**message, "headers": headers}
                await send(message)

            try:
                await self.app(scope, receive, send_with_headers)
            finally:
                _report(current, scope, status, time.perf_counter() - started)


def _report(request: RequestScope, scope: Scope, status: int, elapsed: float) -> None:
    if request.graphql_operations:
        GRAPHQL_DURATION.labels(operation_label(request.graphql_operations[0])).observe(elapsed)
    logger.info(
        "http_request",
        extra={
            "method": scope["method"],
            "path": scope["path"],
            "status": status,
            "durationMs": round(elapsed * 1000, 1),
            "requestId": request.request_id,
            "operations": request.graphql_operations,
            "dynamodbRequests": request.dynamodb_requests,
            "estimatedRequests": request.estimated_requests,
            "estimatedItems": request.estimated_items,
            "consumedCapacity": request.consumed_capacity,
            "errorCodes": request.error_codes,
        },
    )
