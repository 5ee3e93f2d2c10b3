"""How hard the repeated and property-based tests push: quick by default, the full counts on demand.

The default keeps the suite a newcomer runs within its budget; `TEST_THOROUGH=1` (a scheduled CI run,
a developer before a release) turns every count up to what earlier rounds ran on every landing. A count's
own variable (FUZZ_EXAMPLES, DIFF_EXAMPLES, ...) overrides both.
"""

from __future__ import annotations

import os

THOROUGH = os.environ.get("TEST_THOROUGH", "").lower() not in ("", "0", "false", "no")


def count(variable: str, quick: int, thorough: int) -> int:
    """`variable` if set, else the quick or the thorough count."""
    return int(os.environ.get(variable) or (thorough if THOROUGH else quick))
