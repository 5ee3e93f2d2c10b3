"""Names SPEC.md fixes, that tests check against: the error codes of section 5."""

from __future__ import annotations

CODES = frozenset(
    {
        "BAD_USER_INPUT",
        "NOT_FOUND",
        "CONFLICT",
        "VERSION_MISMATCH",
        "OUT_OF_STOCK",
        "INVALID_TRANSITION",
        "THROTTLED",
        "RATE_LIMITED",  # section 15: added to section 5's set
        "UNAVAILABLE",
        "UNAUTHENTICATED",
        "FORBIDDEN",
        "QUERY_TOO_COMPLEX",
        "INTERNAL_SERVER_ERROR",
    }
)
