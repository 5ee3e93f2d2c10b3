"""Rate-limit budgets out of the benchmarks' reach, for the services they start (in their environment).

The limiter stays on, on its default store, so every request still pays its charge as in production; only
refusals are out: a benchmark hammering the service as one caller (anonymous: 600 requests a minute by
default) would otherwise measure 429s.
"""

from __future__ import annotations

OUT_OF_REACH = str(10**9)

BUDGETS = {
    f"RATE_LIMIT_{role}{budget}": OUT_OF_REACH
    for role in ("ANONYMOUS", "CUSTOMER", "STAFF", "ADMIN")
    for budget in ("", "_MUTATIONS")
}
"""Environment variables: every role's requests and mutations per window."""
