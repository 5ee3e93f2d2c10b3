"""A store that does not answer costs a request RATE_LIMIT_STORE_TIMEOUT at most, then nothing for a second."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Mapping

import pytest

from graphql_api.auth.identity import ANONYMOUS
from graphql_api.errors import Unavailable
from graphql_api.http.rate_limit import RateLimiter
from graphql_api.http.rate_limit_store import Counted, Counter
from graphql_api.settings import Settings


class HangingStore:
    """A store whose DynamoDB accepts the connection and never answers."""

    def __init__(self) -> None:
        self.asked = 0

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        self.asked += 1
        await asyncio.Event().wait()
        raise AssertionError("never answers")

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        await asyncio.Event().wait()


def test_a_hanging_store_is_given_up_after_its_timeout_then_not_asked_for_a_second() -> None:
    store = HangingStore()
    limiter = RateLimiter(Settings(auth_mode="none", rate_limit_store_timeout=0.2), store)

    async def twice() -> tuple[float, float]:
        started = time.monotonic()
        assert await limiter.charge(ANONYMOUS, "203.0.113.9", 4, 0) is None  # fail open
        first = time.monotonic() - started
        started = time.monotonic()
        assert await limiter.charge(ANONYMOUS, "203.0.113.9", 4, 0) is None
        return first, time.monotonic() - started

    first, second = asyncio.run(twice())
    assert 0.2 <= first < 5.0
    assert second < 0.1
    assert store.asked == 1


def test_failing_closed_refuses_with_unavailable() -> None:
    limiter = RateLimiter(
        Settings(auth_mode="none", rate_limit_store_timeout=0.05, rate_limit_fail_open=False), HangingStore()
    )
    with pytest.raises(Unavailable):
        asyncio.run(limiter.charge(ANONYMOUS, "203.0.113.9", 1, 0))
