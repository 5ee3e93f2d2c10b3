"""What an entity's module adds to the schema's roots: its Query, Mutation and Subscription parts."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Roots:
    """Strawberry types whose fields are merged into Query, Mutation and Subscription (None: adds none)."""

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
