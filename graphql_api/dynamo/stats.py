"""What one HTTP request cost: the DynamoDB requests made for it, capacity, operations and errors.

A botocore event hook sees every HTTP attempt (retries included) and adds to the stats object held
in a context variable, which the request-scope middleware sets for each HTTP request. The GraphQL
layer adds the operation names and the error codes it answered with.
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass
class RequestStats:
    operations: list[str] = field(default_factory=list)
    consumed_capacity: float = 0.0
    graphql_operations: list[str] = field(default_factory=list)
    error_codes: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def dynamodb_requests(self) -> int:
        return len(self.operations)

    def record(self, operation: str) -> None:
        with self._lock:
            self.operations.append(operation)

    def add_capacity(self, units: float) -> None:
        with self._lock:
            self.consumed_capacity += units


current_stats: ContextVar[RequestStats | None] = ContextVar("current_stats", default=None)


def count_request(event_name: str, **_: Any) -> None:
    """botocore `before-send` hook: event names look like `before-send.dynamodb.Query`."""
    stats = current_stats.get()
    if stats is not None:
        stats.record(event_name.rsplit(".", 1)[-1])
