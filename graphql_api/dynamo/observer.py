"""Who is told what each DynamoDB request cost: the observer of the current context, set from above.

The client knows nothing of HTTP or GraphQL. It reports every request it sends (retries included, from
botocore's `before-send` event) and the capacity each answer reports to whichever observer the caller's
context registered with `observed_by`, and to nobody outside one. The request scope
(graphql_api.request_scope) registers itself for its block: an HTTP request's log line and headers, and
check-patterns' request counts, come from there.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, Protocol


class CallObserver(Protocol):
    def record_dynamodb_request(self, operation: str) -> None: ...

    def add_capacity(self, units: float) -> None: ...

    def add_read(self, units: float, items_examined: int) -> None:
        """A read's share of the capacity above (already told to `add_capacity`) and the items DynamoDB examined."""
        ...


# A context variable: the boto3 transport runs each call in a copy of its caller's context, on a pool thread.
_observer: ContextVar[CallObserver | None] = ContextVar("dynamodb_observer", default=None)


@contextmanager
def observed_by(observer: CallObserver) -> Iterator[None]:
    """`observer` is told of the DynamoDB requests made in this block (and in tasks it starts)."""
    token = _observer.set(observer)
    try:
        yield
    finally:
        _observer.reset(token)


@contextmanager
def unobserved() -> Iterator[None]:
    """Calls made in this block are nobody's: the rate limiter's own, not the request's it admits."""
    token = _observer.set(None)
    try:
        yield
    finally:
        _observer.reset(token)


def request_sent(event_name: str, **_: Any) -> None:
    """botocore `before-send` hook: event names look like `before-send.dynamodb.Query`."""
    observer = _observer.get()
    if observer is not None:
        observer.record_dynamodb_request(event_name.rsplit(".", 1)[-1])


def capacity_consumed(units: float) -> None:
    observer = _observer.get()
    if observer is not None:
        observer.add_capacity(units)


def read_done(units: float, items_examined: int) -> None:
    observer = _observer.get()
    if observer is not None:
        observer.add_read(units, items_examined)


def current_observer() -> CallObserver | None:
    return _observer.get()
