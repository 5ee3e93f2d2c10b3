"""`graphql-api check-patterns` prints its rows as a table: AP10 and AP11 line up with AP1..AP9."""

from __future__ import annotations

from graphql_api.ops.patterns import PATTERNS, PatternResult, aligned_lines


def test_every_column_starts_at_the_same_place_on_every_row() -> None:
    results = [PatternResult(pattern, True, "ok", 2 if index % 2 else 1) for index, pattern in enumerate(PATTERNS)]
    lines = aligned_lines(results)
    assert len(lines) == len(PATTERNS) >= 11
    assert len({line.index(pattern.name) for line, pattern in zip(lines, PATTERNS, strict=True)}) == 1
    assert len({line.index("dynamodb_requests=") for line in lines}) == 1
    assert all(line == line.rstrip() for line in lines)


def test_a_failed_pattern_says_why_after_its_count() -> None:
    lines = aligned_lines([PatternResult(PATTERNS[9], False, "Customer not found", 1)])
    assert lines == ["FAIL AP10 Reviews by a customer, newest first dynamodb_requests=1  Customer not found"]
