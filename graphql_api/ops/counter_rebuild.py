"""`graphql-api backfill counters`: the counters built (or mended) from the items they count, safely on a live table.

Each round reads the counters, scans what they count, and reads the counters again. A counter that did not move
between its two reads was not touched by any write meanwhile (every write that changes what it counts adds to it
in the same transaction), so the scan counted its members exactly as its stored total stood: the difference is
added to its shard 0 (ADD commutes with the writes that come after). A counter that moved is left to the next
round. Run it once the service keeps the counters (a write by a version that does not would go unseen); a second
run changes nothing.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Transaction
from graphql_api.entity import Entity
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.recount import CounterKey, recount
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS, scan_items
from graphql_api.repositories import counters
from graphql_api.repositories.counters import COUNTERS, FAMILIES, Total
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS

ROUNDS = 3


@dataclass(frozen=True)
class Rebuilt:
    scanned: int
    """Items read by the last round (counters twice)."""
    changed: int
    """Counters that were wrong and were corrected."""
    right: int
    """Counters that were already right."""
    moving: int
    """Counters that kept moving in every round: left as they were (run again)."""


async def _decoded(dynamo: Dynamo, entity: Entity[Any], segments: int, progress: Progress) -> list[Any]:
    return [
        entity.from_item(item) for item in await scan_items(dynamo, entity.table, segments=segments, progress=progress)
    ]


async def _kept(dynamo: Dynamo, segments: int, progress: Progress) -> tuple[dict[CounterKey, Total], int]:
    stored = await _decoded(dynamo, COUNTERS, segments, progress)
    return counters.summed(stored), len(stored)


async def rebuild_counters(
    dynamo: Dynamo, *, segments: int = DEFAULT_SEGMENTS, progress: Progress = quiet, rounds: int = ROUNDS
) -> Rebuilt:
    by_name = {family.name: family for family in FAMILIES}
    changed = right = 0
    pending: set[CounterKey] | None = None  # None: every counter
    scanned = 0
    for _ in range(rounds):
        before, _count = await _kept(dynamo, segments, progress)
        products, orders, reviews = await asyncio.gather(
            *(_decoded(dynamo, entity, segments, progress) for entity in (PRODUCTS, ORDERS, REVIEWS))
        )
        after, stored = await _kept(dynamo, segments, progress)
        scanned = 2 * stored + len(products) + len(orders) + len(reviews)
        counted = recount(products, orders, reviews)
        keys = set(after) | set(counted) | set(before)
        moving = {key for key in keys if before.get(key, Total()) != after.get(key, Total())}
        for key in sorted(keys - moving if pending is None else (pending & keys) - moving):
            want, have = counted.get(key, Total()), after.get(key, Total())
            if want == have:
                right += 1
                continue
            family, member = key
            amount = want.amount - have.amount
            action = counters.add(by_name[family], member, want.count - have.count, amount or None, shard=0)
            await Transaction(dynamo).add(action).commit()
            changed += 1
        pending = moving if pending is None else pending & moving
        if not pending:
            break
    return Rebuilt(scanned=scanned, changed=changed, right=right, moving=len(pending or ()))
