"""`graphql-api migrate verify`: item-for-item parity of the faux-SQL tables and the single table. Every item of the
old tables is converted to its single-table shape (graphql_api.ops.single_table) and compared with what the single
table holds at its `PK`/`SK`: an item missing from the single table, one there that no old item accounts for, and
every attribute that differs, each on a readable line; then the counts per type; `validate_single` runs `graphql-api
validate`'s invariants on the single table's items. Like every scan-based tool (graphql_api.ops.table_scan) it is
not a snapshot: run it with writes quiet, or again.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item
from graphql_api.entity import Entity
from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.single_table import TYPE_ATTRIBUTE, Layout
from graphql_api.ops.table_scan import scan_items
from graphql_api.ops.validate import Tables, Violation, check

ItemKey = tuple[str, str]


@dataclass
class Parity:
    missing: list[ItemKey] = field(default_factory=list)
    """In the old tables, not in the single table."""
    extra: list[ItemKey] = field(default_factory=list)
    """In the single table, accounted for by no old item."""
    differing: list[tuple[ItemKey, str, Any, Any]] = field(default_factory=list)
    """(item, attribute, old layout's value, single table's value): None where absent."""
    old_counts: Counter[str] = field(default_factory=Counter)
    single_counts: Counter[str] = field(default_factory=Counter)

    @property
    def same(self) -> bool:
        return not (self.missing or self.extra or self.differing)

    def lines(self) -> list[str]:
        lines = [f"missing from the single table: PK={pk} SK={sk}" for pk, sk in self.missing]
        lines += [f"only in the single table: PK={pk} SK={sk}" for pk, sk in self.extra]
        lines += [
            f"differs: PK={pk} SK={sk} {attribute}: {old!r} (faux-SQL) != {new!r} (single table)"
            for (pk, sk), attribute, old, new in self.differing
        ]
        for tag in sorted(set(self.old_counts) | set(self.single_counts)):
            lines.append(f"{tag}: {self.old_counts[tag]} faux-SQL, {self.single_counts[tag]} single table")
        lines.append("parity: exact" if self.same else "parity: DIFFERENT")
        return lines


async def expected_items(dynamo: Dynamo, layout: Layout, progress: Progress = quiet) -> dict[ItemKey, Item]:
    """Every old item in its single-table shape, by PK and SK (orphans, whose parent is gone, left out)."""
    expected: dict[ItemKey, Item] = {}
    for placement in layout.placements.values():
        entity = placement.entity
        items = await scan_items(dynamo, entity.table, progress=progress)
        needed = layout.ancestors_needed(entity)
        parents: list[Item | None] = [None] * len(items)
        if needed is not None:
            parent, via = needed
            parents = await batch_get(dynamo, [(parent.table, (item[entity.attribute(via)],)) for item in items])
        for item, found in zip(items, parents, strict=True):
            if needed is not None and found is None:
                continue
            new = layout.to_single(entity, item, found)
            expected[(new["PK"], new["SK"])] = new
    return expected


async def verify(dynamo: Dynamo, layout: Layout, progress: Progress = quiet) -> Parity:
    expected = await expected_items(dynamo, layout, progress)
    actual = {(item["PK"], item["SK"]): item for item in await scan_items(dynamo, layout.table, progress=progress)}
    parity = Parity()
    parity.old_counts.update(item[TYPE_ATTRIBUTE] for item in expected.values())
    parity.single_counts.update(str(item.get(TYPE_ATTRIBUTE)) for item in actual.values())
    for key in sorted(expected.keys() - actual.keys()):
        parity.missing.append(key)
    for key in sorted(actual.keys() - expected.keys()):
        parity.extra.append(key)
    for key in sorted(expected.keys() & actual.keys()):
        old, new = expected[key], actual[key]
        for attribute in sorted(old.keys() | new.keys()):
            if old.get(attribute) != new.get(attribute):
                parity.differing.append((key, attribute, old.get(attribute), new.get(attribute)))
    return parity


async def validate_single(dynamo: Dynamo, layout: Layout, progress: Progress = quiet) -> list[Violation]:
    """`graphql-api validate`'s invariants on the single table: its items read back as the old tables' items."""
    by_entity: dict[Entity[Any], list[Item]] = {entity: [] for entity in ALL_ENTITIES}
    for item in await scan_items(dynamo, layout.table, progress=progress):
        entity, plain = layout.from_single(item)
        by_entity[entity].append(plain)
    return check(Tables(by_entity))
