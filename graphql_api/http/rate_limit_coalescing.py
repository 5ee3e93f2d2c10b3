"""Charges of one counter made while its charge is in flight go to the store together, as one write.

Every request is charged to its caller's counter: one conditional write per request to one item (the
DynamoDB store's `UpdateItem`, Redis's script). A caller with many requests at once (a partner's batch
job, a dashboard behind one address, a benchmark's clients) would make that item a hot key: DynamoDB
serves one item at most 1,000 writes a second, and each write is CPU and a round trip. Here, while a
counter's charge is in flight in this process, the charges of the same counter that arrive wait for it
and are then sent together: their amounts added, one write. So a counter costs at most one write in
flight per instance, whatever the caller's concurrency; a caller making one request at a time is charged
exactly as before.

Nothing is admitted that the store would have refused one by one: when the store refuses a group, its
members are charged again one at a time, in the order they came, each admitted or refused on its own; a
member that cannot fit in the totals the store last answered is refused without another write (as the
limiter refuses a caller it has seen refused: graphql_api.http.rate_limit).
When the store does not answer, every member of the group gets the same failure (the limiter's
RATE_LIMIT_FAIL_OPEN decides). Members of a group get the group's totals: the `RateLimit` header of each
says what is left after the whole group.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql_api.http.rate_limit_store import Counted, Counter, RateLimitStore

Limits = tuple[tuple[str, int], ...]


@dataclass
class _Group:
    """Charges waiting for their counter's charge in flight."""

    members: list[tuple[Mapping[str, int], asyncio.Future[Counted]]] = field(default_factory=list)

    def total(self) -> dict[str, int]:
        summed: dict[str, int] = {}
        for amounts, _ in self.members:
            for budget, amount in amounts.items():
                summed[budget] = summed.get(budget, 0) + amount
        return summed


class CoalescedStore:
    """A RateLimitStore whose concurrent charges of one counter are sent together (see the module)."""

    def __init__(self, store: RateLimitStore) -> None:
        self.store = store
        self._waiting: dict[tuple[Counter, Limits], _Group | None] = {}
        """Counters with a charge in flight: the group waiting for it (None: nobody yet)."""

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        key = (counter, tuple(sorted(limits.items())))
        if key in self._waiting:
            group = self._waiting[key]
            if group is None:
                group = self._waiting[key] = _Group()
            answer: asyncio.Future[Counted] = asyncio.get_running_loop().create_future()
            answer.add_done_callback(_retrieved)  # a member that gave up is not told: no "never retrieved" warning
            group.members.append((amounts, answer))
            return await asyncio.shield(answer)  # a member that gives up leaves the group's write to the others
        self._waiting[key] = None
        try:
            return await self.store.charge(counter, amounts, limits)
        finally:
            self._next(key, counter, limits)

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        await self.store.adjust(counter, amounts)

    def _next(self, key: tuple[Counter, Limits], counter: Counter, limits: Mapping[str, int]) -> None:
        """The charge in flight is done: send the group that waited for it, or let the counter go."""
        group = self._waiting.get(key)
        if group is None:
            self._waiting.pop(key, None)
            return
        self._waiting[key] = None  # the group's charge is now the one in flight
        task = asyncio.get_running_loop().create_task(self._send(group, counter, limits))
        task.add_done_callback(lambda _: self._next(key, counter, limits))

    async def _send(self, group: _Group, counter: Counter, limits: Mapping[str, int]) -> None:
        try:
            counted = await self.store.charge(counter, group.total(), limits)
            if counted.admitted or len(group.members) == 1:
                for _, answer in group.members:
                    _settle(answer, counted)
                return
            # Refused together: one by one, so that those that fit are admitted as they would have been. A member
            # that cannot fit in the totals the store last answered is refused without asking it again.
            used = counted.used
            for amounts, answer in group.members:
                if any(used.get(budget, 0) + amount > limits[budget] for budget, amount in amounts.items()):
                    _settle(answer, Counted(False, used))
                    continue
                alone = await self.store.charge(counter, amounts, limits)
                used = alone.used
                _settle(answer, alone)
        except Exception as error:  # the store's failure is every waiting member's
            for _, answer in group.members:
                if not answer.done():
                    answer.set_exception(error)


def _retrieved(answer: asyncio.Future[Counted]) -> None:
    if not answer.cancelled():
        answer.exception()


def _settle(answer: asyncio.Future[Counted], counted: Counted) -> None:
    if not answer.done():
        answer.set_result(counted)
