"""The limiter's accounting over a window: refunds folded into the next charge, refusals remembered.

Against the in-process store (the same protocol as DynamoDB's and Redis's), with a clock the test moves.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Mapping

import pytest

from graphql_api.auth.identity import ANONYMOUS
from graphql_api.http.rate_limit import REQUESTS, RateLimitedWith, RateLimiter
from graphql_api.http.rate_limit_store import Counted, Counter, MemoryRateLimitStore
from graphql_api.settings import Settings

ADDRESS = "203.0.113.7"


class CountingStore(MemoryRateLimitStore):
    def __init__(self) -> None:
        super().__init__()
        self.writes = 0

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        self.writes += 1
        return await super().charge(counter, amounts, limits)

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        self.writes += 1
        await super().adjust(counter, amounts)


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_020.0

    def __call__(self) -> float:
        return self.now


def limiter(store: CountingStore, clock: Clock, budget: int = 10_000) -> RateLimiter:
    return RateLimiter(Settings(rate_limit_anonymous=budget, rate_limit_window_seconds=60), store, clock)


def total(store: CountingStore) -> int:
    return sum(totals.get(REQUESTS, 0) for totals in store.counters.values())


def test_n_requests_end_at_the_sum_of_what_they_made_but_the_last_refund_in_one_write_each() -> None:
    store, clock, draw = CountingStore(), Clock(), random.Random(26)
    rate = limiter(store, clock)
    requests = [(draw.randint(1, 30), draw.randint(0, 30)) for _ in range(200)]  # (estimate, made), made may pass it

    async def run() -> None:
        for estimate, made in requests:
            decision = await rate.charge(ANONYMOUS, ADDRESS, estimate, 0)
            assert decision is not None
            rate.reconcile(decision, made)
        await rate.settled()

    asyncio.run(run())
    estimate, made = requests[-1]
    last_refund = max(0, estimate - max(1, made))  # given back with the next charge: there is none
    assert total(store) == sum(max(1, made) for _, made in requests) + last_refund
    over = sum(1 for estimate, made in requests if max(1, made) > estimate)
    assert store.writes == len(requests) + over  # a second write only when the estimate was too low


def test_a_refused_caller_is_refused_without_asking_the_store_until_the_window_ends() -> None:
    store, clock = CountingStore(), Clock()
    rate = limiter(store, clock, budget=10)

    async def run() -> list[str]:
        outcomes = []
        for _ in range(30):
            try:
                decision = await rate.charge(ANONYMOUS, ADDRESS, 4, 0)
                assert decision is not None
                rate.reconcile(decision, 4)
                outcomes.append("served")
            except RateLimitedWith:
                outcomes.append("refused")
        return outcomes

    outcomes = asyncio.run(run())
    assert outcomes == ["served"] * 2 + ["refused"] * 28
    assert store.writes == 3  # two charges and the one refusal the store answered
    with pytest.raises(RateLimitedWith):
        rate.refuse_known(ANONYMOUS, ADDRESS, 4, 0)
    rate.refuse_known(ANONYMOUS, ADDRESS, 2, 0)  # still fits what the store said: asked, not refused here
    clock.now += 60  # the next window: a fresh budget, asked again
    assert asyncio.run(rate.charge(ANONYMOUS, ADDRESS, 4, 0)) is not None
    assert store.writes == 4


def test_a_refused_charge_keeps_the_refund_for_the_next_that_fits() -> None:
    store, clock = CountingStore(), Clock()
    rate = limiter(store, clock, budget=10)

    async def run() -> None:
        decision = await rate.charge(ANONYMOUS, ADDRESS, 8, 0)  # counter 8
        assert decision is not None
        rate.reconcile(decision, 2)  # 6 to give back
        with pytest.raises(RateLimitedWith):
            await rate.charge(ANONYMOUS, ADDRESS, 10, 0)  # 8 - 6 + 10 = 12 > 10: refused, nothing written
        assert await rate.charge(ANONYMOUS, ADDRESS, 3, 0) is not None  # 8 - 6 + 3 = 5

    asyncio.run(run())
    assert total(store) == 5
