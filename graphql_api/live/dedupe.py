"""Each change delivered once where two streams carry it: the old tables' and the single table's, during the migration.

In the phases where an instance reads both (graphql_api.live.single_table_feed), an API write reaches both streams
(dual-write's twin, or the replication of another writer's change), and a rollback's copy back writes into the old
tables what the single table's stream already showed. Whichever stream shows a change first delivers it; the other's
copy is dropped by what the feed remembers of the item (its key): the rank of the last change delivered (its
`Version`, a removal after the write that made it) and its new image.

- A record ranked below the last one delivered is stale: the other stream already delivered a later write of the
  item (an item created again after its removal starts over).
- A record whose new image is the one last delivered shows nothing new: the same write, or a copy of its result;
  nor does one whose old and new images are the same (replication rewriting an item as it is, or a write that
  changed only the single table's own attributes).

Within one stream neither happens (DynamoDB writes no record for a write that changes nothing, and an item's
`Version` only grows), and the filter runs only while both streams are read (graphql_api.live.service). It
remembers the last `MAX_ITEMS` items changed per table (digests: about 15 MB at most): a copy arriving after its
item was forgotten is delivered again (at least once).
"""

from __future__ import annotations

import hashlib
import json
from collections import OrderedDict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from graphql_api.live.streams import Record

MAX_ITEMS = 100_000
"""Items remembered per table: the copies of a change arrive within moments of each other."""

Rank = tuple[Decimal, int]


@dataclass
class _Last:
    rank: Rank | None
    new_image: bytes | None
    """A digest of the new image (an item's image can be kilobytes; 100,000 of them are not kept)."""


def _version(image: dict[str, Any] | None) -> Decimal | None:
    value = (image or {}).get("Version", {}).get("N")
    return None if value is None else Decimal(value)


def _rank(old: dict[str, Any] | None, new: dict[str, Any] | None) -> Rank | None:
    """A write's place in its item's history: its new Version, or for a removal the removed Version, after it."""
    if new is not None:
        version = _version(new)
        return None if version is None else (version, 0)
    version = _version(old)
    return None if version is None else (version, 1)


class SeenChanges:
    """The last change delivered of each recently changed item of one table."""

    def __init__(self, max_items: int = MAX_ITEMS) -> None:
        self.max_items = max_items
        self.dropped = 0
        self._items: OrderedDict[bytes, _Last] = OrderedDict()

    def first(self, record: Record) -> bool:
        """Whether the record shows a change not delivered yet (it is then remembered as delivered)."""
        found = mark(record)
        if found is None:
            self.dropped += 1  # a rewrite of the same item (replication's replay; the emulators write a record for it)
            return False
        key, rank, new_image, created = found
        last = self._items.get(key)
        if last is not None and (_stale(rank, last, created=created) or new_image == last.new_image):
            self.dropped += 1
            return False
        self._items[key] = _Last(rank, new_image)
        self._items.move_to_end(key)
        if len(self._items) > self.max_items:
            self._items.popitem(last=False)
        return True


Mark = tuple[bytes, Rank | None, bytes | None, bool]
"""What the filter compares of a record: its key's digest, its rank, its new image's digest, whether it creates."""


def mark(record: Record) -> Mark | None:
    """The record's mark; None for a record whose old and new images are the same (no change to show)."""
    images = record["dynamodb"]
    old, new = images.get("OldImage"), images.get("NewImage")
    if old is not None and old == new:
        return None
    return _digest(images.get("Keys")), _rank(old, new), None if new is None else _digest(new), old is None


def _digest(value: Any) -> bytes:
    return hashlib.blake2b(json.dumps(value, sort_keys=True).encode(), digest_size=16).digest()


def _stale(rank: Rank | None, last: _Last, *, created: bool) -> bool:
    if rank is None or last.rank is None:
        return False
    if created and last.rank[1] == 1:
        return False  # created again after its removal: a new history
    return rank < last.rank
