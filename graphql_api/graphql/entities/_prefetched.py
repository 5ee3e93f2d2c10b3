"""A related value loaded ahead for a whole page, or the error its load failed with.

A page of orders whose lines (and their products) are selected loads them in one go and hands each object
its part as a plain value: graphql-core then completes those fields without a coroutine per order and per
line. A failed load is kept as the error, and raised by each field that would have loaded it, so an error
stays where it was (a failed product load fails those `product` fields, not the page).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Prefetched(Generic[T]):
    result: T | None = None
    error: Exception | None = None

    def value(self) -> T:
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]
