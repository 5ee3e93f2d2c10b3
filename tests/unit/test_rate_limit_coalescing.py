"""Concurrent charges of one counter go to the store together (graphql_api.http.rate_limit_coalescing).

The store here is the in-process one, each charge held in flight for a moment (as a round trip to DynamoDB
or Redis would be), and counted: the writes saved are counted, and what is admitted is checked against the
store's own totals. The integration tests (test_rate_limits*.py) run the same wrapper on DynamoDB and Redis.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

import pytest

from graphql_api.http.rate_limit_coalescing import CoalescedStore
from graphql_api.http.rate_limit_store import Counted, Counter, MemoryRateLimitStore, StoreUnavailable

COUNTER = Counter("customer-1", 1_800_000_000, 60)
OTHER = Counter("customer-2", 1_800_000_000, 60)


class SlowStore(MemoryRateLimitStore):
    """The in-process counters, each charge taking `delay` seconds in flight, its writes counted."""

    def __init__(self, delay: float = 0.01, fail: bool = False) -> None:
        super().__init__()
        self.delay, self.fail = delay, fail
        self.charges: list[dict[str, int]] = []

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        self.charges.append(dict(amounts))
        await asyncio.sleep(self.delay)
        if self.fail:
            raise StoreUnavailable("no answer")
        return await super().charge(counter, amounts, limits)


async def _burst(store: CoalescedStore, count: int, limit: int, counter: Counter = COUNTER) -> list[Counted]:
    return await asyncio.gather(*(store.charge(counter, {"requests": 1}, {"requests": limit}) for _ in range(count)))


def test_a_concurrent_burst_under_the_limit_is_one_write_in_flight_at_a_time() -> None:
    slow = SlowStore()
    answers = asyncio.run(_burst(CoalescedStore(slow), 20, 100))
    assert all(answer.admitted for answer in answers)
    # The first charge alone, then the 19 that arrived while it was in flight, together.
    assert slow.charges == [{"requests": 1}, {"requests": 19}]
    assert slow.counters[COUNTER.key] == {"requests": 20}
    assert answers[-1].used == {"requests": 20}


@pytest.mark.parametrize("limit", [1, 7, 19, 20])
def test_near_the_limit_exactly_the_budget_is_admitted(limit: int) -> None:
    slow = SlowStore()
    answers = asyncio.run(_burst(CoalescedStore(slow), 20, limit))
    assert sum(answer.admitted for answer in answers) == limit
    assert slow.counters[COUNTER.key] == {"requests": limit}
    # Admitted in the order they came: those refused are the last ones.
    assert [answer.admitted for answer in answers] == [True] * limit + [False] * (20 - limit)
    # A refused group is charged one by one only while a member can still fit: never more writes than charges.
    assert len(slow.charges) <= 20


def test_charges_made_one_at_a_time_are_sent_one_at_a_time() -> None:
    slow = SlowStore()
    store = CoalescedStore(slow)

    async def one_by_one() -> list[Counted]:
        return [await store.charge(COUNTER, {"requests": 2}, {"requests": 100}) for _ in range(5)]

    answers = asyncio.run(one_by_one())
    assert [answer.used for answer in answers] == [{"requests": 2 * n} for n in range(1, 6)]
    assert slow.charges == [{"requests": 2}] * 5


def test_counters_are_not_mixed_and_refunds_are_added_in() -> None:
    slow = SlowStore()
    store = CoalescedStore(slow)

    async def both() -> None:
        await asyncio.gather(
            *(store.charge(COUNTER, {"requests": 3}, {"requests": 100}) for _ in range(4)),
            *(
                store.charge(OTHER, {"requests": 1, "mutations": 1}, {"requests": 100, "mutations": 10})
                for _ in range(3)
            ),
            store.charge(COUNTER, {"requests": -2}, {"requests": 100}),  # a refund riding on a charge
        )

    asyncio.run(both())
    assert slow.counters[COUNTER.key] == {"requests": 4 * 3 - 2}
    assert slow.counters[OTHER.key] == {"requests": 3, "mutations": 3}
    assert len(slow.charges) == 4  # each counter: its first charge, then its group


def test_the_store_failing_fails_every_member_of_the_group() -> None:
    slow = SlowStore(fail=True)

    async def burst() -> list[Counted | BaseException]:
        store = CoalescedStore(slow)
        charges = (store.charge(COUNTER, {"requests": 1}, {"requests": 100}) for _ in range(6))
        return await asyncio.gather(*charges, return_exceptions=True)

    answers = asyncio.run(burst())
    assert all(isinstance(answer, StoreUnavailable) for answer in answers)
    assert len(slow.charges) == 2


def test_a_member_that_gives_up_leaves_the_others_their_answer() -> None:
    slow = SlowStore(delay=0.05)

    async def burst() -> list[Counted | BaseException]:
        store = CoalescedStore(slow)
        leader = asyncio.ensure_future(store.charge(COUNTER, {"requests": 1}, {"requests": 100}))
        await asyncio.sleep(0)
        impatient = asyncio.wait_for(store.charge(COUNTER, {"requests": 1}, {"requests": 100}), 0.01)
        patient = store.charge(COUNTER, {"requests": 1}, {"requests": 100})
        return list(await asyncio.gather(leader, impatient, patient, return_exceptions=True))

    leader, impatient, patient = asyncio.run(burst())
    assert isinstance(impatient, TimeoutError)
    assert isinstance(leader, Counted)
    assert isinstance(patient, Counted)
    assert patient.admitted
    # The one that gave up is still charged (the limiter counts a charge that timed out as possibly written).
    assert slow.counters[COUNTER.key] == {"requests": 3}
