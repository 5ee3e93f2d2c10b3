"""Rate limits per identity, charged in estimated DynamoDB requests (docs/rate-limits.md).

Who: a signed-in caller by their token's subject, anyone else by client address (the peer's, or from
X-Forwarded-For when the peer is one of RATE_LIMIT_TRUSTED_PROXIES). What: the requests the operations'
estimate says they may cause (graphql_api.graphql.cost, at least 1 per operation), against the budget of
the caller's role per fixed window, and for mutations against a second, smaller budget too. A mutation is
charged before it runs; a query while it runs (the view discards its answer when refused). After the request
ran, what the estimate charged too much is given back with the caller's next charge in the window (one
write, not two), what it charged too little added at once in the background. A refusal is remembered in
this process until the window ends: the caller's next requests that cannot fit are refused at once, without
asking the store. Over a budget: 429 RATE_LIMITED with `Retry-After`, and on every charged answer the IETF
draft's `RateLimit-Policy` and `RateLimit` headers. The counters are in a store shared by every instance
(graphql_api.http.rate_limit_store). When the store does not answer, RATE_LIMIT_FAIL_OPEN decides: serve
(the default, logged) or refuse with UNAVAILABLE.
"""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.types import Scope

from graphql_api.auth.identity import Identity, Role
from graphql_api.errors import RateLimited, Unavailable
from graphql_api.http.rate_limit_store import Counter, RateLimitStore, StoreUnavailable
from graphql_api.settings import Settings

logger = logging.getLogger(__name__)

REQUESTS, MUTATIONS = "requests", "mutations"
FORWARDED_FOR = b"x-forwarded-for"
STORE_WARNING_INTERVAL = 10.0
"""Seconds between two warnings that the store does not answer (one line per request would flood the log)."""
STORE_RETRY_INTERVAL = 1.0
"""Seconds the store is not asked after it did not answer: the requests meanwhile get the documented choice at once."""


@dataclass(frozen=True)
class Policy:
    """One role's budgets per window."""

    name: str
    requests: int
    mutations: int
    window_seconds: int

    def limits(self) -> dict[str, int]:
        return {REQUESTS: self.requests, MUTATIONS: self.mutations}


def policies(settings: Settings) -> dict[Role, Policy]:
    window = settings.rate_limit_window_seconds
    return {
        Role.ANONYMOUS: Policy(
            "anonymous", settings.rate_limit_anonymous, settings.rate_limit_anonymous_mutations, window
        ),
        Role.CUSTOMER: Policy("customer", settings.rate_limit_customer, settings.rate_limit_customer_mutations, window),
        Role.STAFF: Policy("staff", settings.rate_limit_staff, settings.rate_limit_staff_mutations, window),
        Role.ADMIN: Policy("admin", settings.rate_limit_admin, settings.rate_limit_admin_mutations, window),
    }


@dataclass(frozen=True)
class Decision:
    """A charge and what the store answered: the headers of the answer, and what to reconcile."""

    counter: Counter
    policy: Policy
    charged: dict[str, int]
    used: dict[str, int]
    admitted: bool
    reset_seconds: int

    def remaining(self, budget: str) -> int:
        limit = self.policy.limits()[budget]
        if not self.admitted and not self.used:
            return 0  # refused by a store that does not say its totals
        return max(0, limit - self.used.get(budget, 0))

    def headers(self) -> dict[str, str]:
        """draft-ietf-httpapi-ratelimit-headers: the policies (quota, window) and what is left of each."""
        name, window = self.policy.name, self.policy.window_seconds
        budgets = [(REQUESTS, self.policy.requests), (MUTATIONS, self.policy.mutations)]
        headers = {
            "RateLimit-Policy": ", ".join(f'"{name}-{budget}";q={quota};w={window}' for budget, quota in budgets),
            "RateLimit": ", ".join(
                f'"{name}-{budget}";r={self.remaining(budget)};t={self.reset_seconds}' for budget, _ in budgets
            ),
        }
        if not self.admitted:
            headers["Retry-After"] = str(self.reset_seconds)
        return headers


def client_address(scope: Scope, trusted_proxies: tuple[str, ...]) -> str:
    """The peer's address; behind a trusted proxy, the rightmost X-Forwarded-For entry that is not a trusted proxy."""
    peer = scope["client"][0] if scope.get("client") else "unknown"
    if not trusted_proxies or not _trusted(peer, trusted_proxies):
        return peer
    forwarded = b",".join(value for name, value in scope["headers"] if name == FORWARDED_FOR).decode("latin-1")
    for hop in reversed([entry.strip() for entry in forwarded.split(",") if entry.strip()]):
        if not _trusted(hop, trusted_proxies):
            return hop
    return peer


def _trusted(address: str, trusted_proxies: tuple[str, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(proxy, strict=False) for proxy in trusted_proxies)


def identity_key(identity: Identity, address: str) -> str:
    return identity.subject if identity.subject is not None else f"ip:{address}"


MEMORY_BOUND = 10_000
"""Identities whose refunds or refusals a process remembers before it forgets those of ended windows."""


@dataclass
class RateLimiter:
    settings: Settings
    store: RateLimitStore
    clock: Callable[[], float] = time.time
    _policies: dict[Role, Policy] = field(init=False)
    _pending: set[asyncio.Task[None]] = field(default_factory=set, init=False)
    _last_warning: float = field(default=-math.inf, init=False)
    _down_until: float = field(default=-math.inf, init=False)
    _refunds: dict[Counter, int] = field(default_factory=dict, init=False)
    """Requests charged too much in a window, given back with the counter's next charge (each <= 0)."""
    _refused: dict[Counter, dict[str, int]] = field(default_factory=dict, init=False)
    """The totals the store answered when it last refused a counter: requests that cannot fit are refused here."""

    def __post_init__(self) -> None:
        self._policies = policies(self.settings)

    def refuse_known(self, identity: Identity, address: str, requests: int, mutations: int) -> None:
        """RateLimited, without asking the store, when a refusal seen in this window leaves no room for these."""
        self._refuse_known(*self._priced(identity, address, requests, mutations))

    async def charge(self, identity: Identity, address: str, requests: int, mutations: int) -> Decision | None:
        """Charge the caller; RateLimited when over a budget. None: the store did not answer and we fail open."""
        policy, counter, amounts, reset = priced = self._priced(identity, address, requests, mutations)
        self._refuse_known(*priced)
        refund = self._refunds.pop(counter, 0)
        sent = amounts | {REQUESTS: amounts[REQUESTS] + refund}
        try:
            if time.monotonic() < self._down_until:
                raise StoreUnavailable("not asked: it did not answer less than a second ago")
            timeout = self.settings.rate_limit_store_timeout
            counted = await asyncio.wait_for(self.store.charge(counter, sent, policy.limits()), timeout)
        except (StoreUnavailable, TimeoutError) as error:
            # The refund is dropped: a charge that timed out may have been written (counting too much is safe).
            self._store_down(StoreUnavailable(str(error) or "no answer in time"))
            return None
        decision = Decision(counter, policy, amounts, dict(counted.used), counted.admitted, reset)
        if not counted.admitted:
            self._owe(counter, refund)  # nothing was written: given back with the next charge that fits
            self._remember(self._refused, counter, dict(counted.used))
            over = [budget for budget in sent if counted.used.get(budget, 0) + sent[budget] > policy.limits()[budget]]
            raise RateLimitedWith(decision, over or [REQUESTS])
        self._refused.pop(counter, None)
        return decision

    def _refuse_known(self, policy: Policy, counter: Counter, amounts: dict[str, int], reset: int) -> None:
        totals = self._refused.get(counter)
        if totals is None:
            return
        # A refund not yet given back is room the store has not been told of: counted as given back.
        known = totals | {REQUESTS: totals.get(REQUESTS, 0) + self._refunds.get(counter, 0)}
        over = [budget for budget, amount in amounts.items() if known.get(budget, 0) + amount > policy.limits()[budget]]
        if over:
            raise RateLimitedWith(Decision(counter, policy, amounts, totals, False, reset), over)

    def _priced(
        self, identity: Identity, address: str, requests: int, mutations: int
    ) -> tuple[Policy, Counter, dict[str, int], int]:
        """(the caller's policy, its counter in this window, the amounts to charge, the seconds left)."""
        policy = self._policies[identity.role]
        now = self.clock()
        window = policy.window_seconds
        start = int(now // window) * window
        counter = Counter(identity_key(identity, address), start, window)
        # One request dearer than a whole budget is charged the budget: refused only when some of it is spent.
        amounts = {REQUESTS: min(requests, policy.requests)}
        if mutations:
            amounts[MUTATIONS] = min(mutations, policy.mutations)
        return policy, counter, amounts, max(1, math.ceil(start + window - now))

    def _owe(self, counter: Counter, refund: int) -> None:
        if refund:
            self._remember(self._refunds, counter, self._refunds.get(counter, 0) + refund)

    @staticmethod
    def _remember(memory: dict[Counter, Any], counter: Counter, value: Any) -> None:
        if len(memory) >= MEMORY_BOUND and counter not in memory:
            # A window's refunds and refusals mean nothing once it ended: forget those first.
            for old in [known for known in memory if known.window_start < counter.window_start]:
                del memory[old]
        memory[counter] = value

    def _store_down(self, error: StoreUnavailable) -> None:
        now = time.monotonic()
        if now >= self._down_until:
            self._down_until = now + STORE_RETRY_INTERVAL
        if now - self._last_warning >= STORE_WARNING_INTERVAL:
            self._last_warning = now
            choice = "serving without a limit" if self.settings.rate_limit_fail_open else "refusing with UNAVAILABLE"
            logger.warning("rate_limit_store_unavailable", extra={"choice": choice, "error": str(error)})
        if not self.settings.rate_limit_fail_open:
            raise Unavailable("The rate limiter is unavailable; retry later") from error

    def reconcile(self, decision: Decision, actual_requests: int) -> None:
        """Settle the difference between the estimate charged and the requests made.

        Too much charged (the usual case: an estimate is an upper bound) is given back with the counter's next
        charge, so a request costs one write; too little is added at once in the background, since waiting
        would let the caller spend it again. A request costs at least 1, as when it was charged."""
        difference = max(1, actual_requests) - decision.charged[REQUESTS]
        if difference < 0:
            self._owe(decision.counter, difference)
        elif difference > 0:
            task = asyncio.get_running_loop().create_task(self._adjust(decision.counter, difference))
            self._pending.add(task)
            task.add_done_callback(self._pending.discard)

    async def _adjust(self, counter: Counter, difference: int) -> None:
        try:
            await self.store.adjust(counter, {REQUESTS: difference})
        except StoreUnavailable as error:
            logger.warning("rate_limit_reconcile_failed", extra={"error": str(error), "difference": difference})

    async def settled(self) -> None:
        """Wait for the reconciliations in flight (at shutdown, and for the tests)."""
        while self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


class RateLimitedWith(RateLimited):
    """RATE_LIMITED, with the decision whose headers the 429 carries."""

    def __init__(self, decision: Decision, budgets: list[str]) -> None:
        super().__init__(
            f"rate limit reached ({', '.join(budgets)} of the {decision.policy.name} budget); retry in "
            f"{decision.reset_seconds} s",
            retryAfter=decision.reset_seconds,
        )
        self.decision = decision
