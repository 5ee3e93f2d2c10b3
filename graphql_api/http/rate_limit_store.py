"""Where the rate limits' counters live (RATE_LIMIT_STORE): DynamoDB, shared by every instance; or this process.

The limiter speaks to a store through this protocol, so that a Redis one (INCRBY in a MULTI, or a Lua
script with the same condition) can take the DynamoDB one's place (graphql_api.repositories.rate_limits)
without touching the limiter.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Protocol

from graphql_api.repositories.rate_limits import Counted, Counter, DynamoRateLimitStore, StoreUnavailable

__all__ = ["Counted", "Counter", "DynamoRateLimitStore", "MemoryRateLimitStore", "RateLimitStore", "StoreUnavailable"]


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
