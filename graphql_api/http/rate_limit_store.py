"""Where the rate limits' counters live (RATE_LIMIT_STORE): DynamoDB or Redis, shared by every instance, or here.

The limiter speaks to a store through this protocol: the DynamoDB one (graphql_api.repositories.rate_limits),
the Redis one (graphql_api.http.rate_limit_redis) and this process's (MemoryRateLimitStore) are interchangeable.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from graphql_api.dynamo.client import Dynamo
from graphql_api.repositories.rate_limits import Counted, Counter, DynamoRateLimitStore, StoreUnavailable
from graphql_api.settings import Settings

__all__ = [
    "Counted",
    "Counter",
    "DynamoRateLimitStore",
    "MemoryRateLimitStore",
    "RateLimitStore",
    "StoreUnavailable",
    "open_store",
    "store_location",
]


class RateLimitStore(Protocol):
    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        """Add `amounts` to the counter's budgets if each total stays within its limit; else add nothing."""
        ...

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        """Add (or take back, negative) `amounts` unconditionally: the reconciliation after a request ran."""
        ...


class MemoryRateLimitStore:
    """The counters in this process only (RATE_LIMIT_STORE=memory): one instance, or the tests' fast unit checks."""

    def __init__(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        self._forget_before(counter.window_start)
        totals = self.counters.setdefault(counter.key, {})
        if any(totals.get(budget, 0) + amount > limits[budget] for budget, amount in amounts.items()):
            return Counted(False, {budget: totals.get(budget, 0) for budget in limits})
        for budget, amount in amounts.items():
            totals[budget] = totals.get(budget, 0) + amount
        return Counted(True, {budget: totals.get(budget, 0) for budget in limits})

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        totals = self.counters.setdefault(counter.key, {})
        for budget, amount in amounts.items():
            totals[budget] = totals.get(budget, 0) + amount

    def _forget_before(self, window_start: int) -> None:
        if len(self.counters) > 10_000:  # old windows are never charged again
            self.counters = {
                key: totals for key, totals in self.counters.items() if int(key.rsplit("#", 1)[1]) >= window_start
            }


def store_location(settings: Settings) -> str:
    """`dynamodb`, `memory` or a Redis URL: RATE_LIMIT_STORE, else the live-updates bus's Redis, else DynamoDB."""
    return settings.rate_limit_store or settings.live_bus or "dynamodb"


def open_store(settings: Settings, dynamo: Dynamo) -> RateLimitStore:
    location = store_location(settings)
    if location == "memory":
        return MemoryRateLimitStore()
    # A shared store's writes: one in flight per counter and instance (graphql_api.http.rate_limit_coalescing).
    from graphql_api.http.rate_limit_coalescing import CoalescedStore

    if location == "dynamodb":
        return CoalescedStore(DynamoRateLimitStore(dynamo))
    # Imported only for a Redis store: the redis package is a noticeable part of a Lambda cold start.
    from graphql_api.http.rate_limit_redis import RedisRateLimitStore

    return CoalescedStore(RedisRateLimitStore(location, settings.rate_limit_store_timeout, settings.table_prefix))
