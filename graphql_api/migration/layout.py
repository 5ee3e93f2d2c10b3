"""The single-table layout, derived from the entity declarations (`graphql-api migrate plan`; SPEC section 14).

Here, below the service, because the request path uses it too (dual-write: graphql_api.migration.dual_write);
the operator's tools take it through graphql_api.ops.single_table, which gives it the registry's entities.

Every item of every data table goes to one table (`SINGLE_TABLE_NAME`, with the usual prefix) keyed by the
generic `PK` and `SK`, keeps its own attributes and gains `Type` (its entity's tag) and the overloaded
`GSI<n>PK`/`GSI<n>SK` of the secondary indexes it appears in. Where an item lives (its item collection) is
chosen from the declarations, in this order:

- a composite key whose first field refers to another entity (OrderItems by order, Reviews by product): the
  item joins its parent's collection, sorted after the parent's own sort key (a hierarchy stays a hierarchy);
- else an index whose hash key refers to another entity and which has a range key (Orders' CustomerIndex):
  the item joins that entity's collection, sorted by the index's range key (the foreign key becomes a
  collection: a customer's orders, and their lines through the rule above, sit beside the customer);
- else its own collection: `PK` is its tag and hash key, `SK` its tag and range key, or `~TAG` for a single key
  (`~` sorts after every tag, so a descending Query of a collection reads its owner first).

An item whose `PK`/`SK` cannot be computed from its own key (an order: its customer and date) also appears in
a GSI under its key alone, and so do its children; every declared index not used to place the item becomes a
GSI of its own. GSI numbers are per entity (overloaded): the table has as many as the entity needing most.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from graphql_api.dynamo.serialization import Item
from graphql_api.entity import Entity
from graphql_api.tables import Index, Key, Table

ROOT = "~"
"""Prefix of a collection owner's own sort key: after every tag, so a descending Query reads the owner first."""
TYPE_ATTRIBUTE = "Type"
SEPARATOR = "#"


def tag_of(entity: Entity[Any]) -> str:
    """`OrderItem` -> `ORDER_ITEM`: the entity's type tag in keys (its dataclass's name)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", entity.model.__name__).upper()


@dataclass(frozen=True)
class Segment:
    """One `#`-separated part of a generic key: a literal, or the value of an attribute of the item (`owner` None)
    or of one of its ancestors (the entity whose attribute it is)."""

    literal: str | None = None
    attribute: str | None = None
    owner: Entity[Any] | None = None

    def text(self) -> str:
        if self.literal is not None:
            return self.literal
        return f"{{{self.owner.table.name + '.' if self.owner else ''}{self.attribute}}}"


Shape = tuple[Segment, ...]


def _literal(text: str) -> Segment:
    return Segment(literal=text)


def _attribute(entity: Entity[Any], field: str, owner: Entity[Any] | None) -> Segment:
    return Segment(attribute=entity.attribute(field), owner=owner)


@dataclass(frozen=True)
class KeyShape:
    pk: Shape
    sk: Shape

    def text(self) -> str:
        return f"PK={render(self.pk)} SK={render(self.sk)}"


def render(shape: Shape) -> str:
    return SEPARATOR.join(segment.text() for segment in shape)


@dataclass(frozen=True)
class Placement:
    """Where one entity's items live in the single table."""

    entity: Entity[Any]
    tag: str
    home: KeyShape
    parent: Entity[Any] | None
    """The entity whose collection it joins (None: its own), through `via` (its field holding the parent's key)."""
    via: str | None
    placed_by: str
    """Why it lives there: `key` (composite key), an index name, or `own`."""
    gsis: tuple[tuple[KeyShape, str], ...]
    """Its GSI shapes, GSI1 first, each with what it serves (`key`, or the declared index it replaces)."""

    @property
    def by_key(self) -> bool:
        """Whether PK and SK follow from the item's key alone (GetItem, BatchGetItem) or need a GSI."""
        segments = self.home.pk + self.home.sk
        keys = {self.entity.attribute(field) for field in self.entity.key_fields}
        return all(segment.owner is None and segment.attribute in (None, *keys) for segment in segments)

    def gsi_for(self, served: str) -> int | None:
        """The GSI number serving `served` (`key` or an index name), or None."""
        for number, (_, what) in enumerate(self.gsis, start=1):
            if what == served:
                return number
        return None


class Layout:
    """The placements of every data entity and the single table they make."""

    def __init__(self, entities: Iterable[Entity[Any]], name: str = "App") -> None:
        self.placements: dict[str, Placement] = {}
        for entity in entities:
            self.placements[entity.table.name] = self._place(entity)
        tags = [placement.tag for placement in self.placements.values()]
        if len(set(tags)) != len(tags):
            raise ValueError(f"two entities share a type tag: {sorted(tags)}")
        self.by_tag = {placement.tag: placement for placement in self.placements.values()}
        gsi_count = max((len(placement.gsis) for placement in self.placements.values()), default=0)
        self.table = Table(
            name=name,
            hash_key=Key("PK"),
            range_key=Key("SK"),
            indexes=tuple(Index(f"GSI{n}", Key(f"GSI{n}PK"), Key(f"GSI{n}SK")) for n in range(1, gsi_count + 1)),
            stream="NEW_AND_OLD_IMAGES",  # the live updates follow it from the reads phase (live/single_table_feed.py)
        )

    def placement(self, entity: Entity[Any]) -> Placement:
        return self.placements[entity.table.name]

    # --- deriving the placements ---------------------------------------------------------------------------

    def _place(self, entity: Entity[Any]) -> Placement:
        tag = tag_of(entity)
        parent, via, order, placed_by = self._home_of(entity)
        if parent is None:
            home = self._own(entity, tag)
        else:
            home = self._child(entity, tag, parent, via or "", order, home_of=lambda p: self.placement(p).home)
        gsis: list[tuple[KeyShape, str]] = []
        keyed = self._key_shape(entity, tag)
        if keyed != home:
            gsis.append((keyed, "key"))
        for index in entity.table.indexes:
            if index.name != placed_by:
                gsis.append((self._index_shape(entity, tag, index), index.name))
        return Placement(entity, tag, home, parent, via, placed_by, tuple(gsis))

    def _home_of(self, entity: Entity[Any]) -> tuple[Entity[Any] | None, str | None, tuple[str, ...], str]:
        first = entity.key_fields[0]
        if len(entity.key_fields) > 1 and first in entity.references:
            parent = entity.references[first].target
            if parent.table.name in self.placements:
                return parent, first, entity.key_fields[1:], "key"
        for index in entity.table.indexes:
            hash_field = entity.field_named(index.hash_key.name)
            reference = entity.references.get(hash_field)
            if reference is None or index.range_key is None or reference.target.table.name not in self.placements:
                continue
            if len(reference.target.key_fields) != 1:
                continue
            range_field = entity.field_named(index.range_key.name)
            own = tuple(field for field in entity.key_fields if field != range_field)
            return reference.target, hash_field, (range_field, *own), index.name
        return None, None, (), "own"

    def _own(self, entity: Entity[Any], tag: str) -> KeyShape:
        hash_field, *range_fields = entity.key_fields
        pk = (_literal(tag), _attribute(entity, hash_field, None))
        if not range_fields:
            return KeyShape(pk, (_literal(ROOT + tag),))
        return KeyShape(pk, (_literal(tag), *(_attribute(entity, field, None) for field in range_fields)))

    def _child(
        self,
        entity: Entity[Any],
        tag: str,
        parent: Entity[Any],
        via: str,
        order: tuple[str, ...],
        home_of: Callable[[Entity[Any]], KeyShape],
    ) -> KeyShape:
        """In `parent`'s collection: its PK, its SK's path (without an owner's `~TAG`), then this tag and `order`."""
        shape = home_of(parent)
        pk = tuple(self._through(segment, parent, via) for segment in shape.pk)
        path = tuple(self._through(segment, parent, via) for segment in shape.sk if not _is_root(segment))
        return KeyShape(pk, (*path, _literal(tag), *(_attribute(entity, field, None) for field in order)))

    def _through(self, segment: Segment, parent: Entity[Any], via: str) -> Segment:
        """A parent's key segment as seen from the child: its key attribute is the child's `via` field."""
        if segment.literal is not None:
            return segment
        if (
            segment.owner is None
            and len(parent.key_fields) == 1
            and segment.attribute == parent.attribute(parent.key_fields[0])
        ):
            return Segment(attribute=attribute_of_field(via))
        return Segment(attribute=segment.attribute, owner=segment.owner or parent)

    def _key_shape(self, entity: Entity[Any], tag: str) -> KeyShape:
        """The shape that follows from the key alone: the composite-key hierarchy, without any index's."""
        first = entity.key_fields[0]
        if len(entity.key_fields) > 1 and first in entity.references:
            parent = entity.references[first].target
            if parent.table.name in self.placements:
                parent_keyed = self._key_shape(parent, self.placement(parent).tag)
                return self._child(entity, tag, parent, first, entity.key_fields[1:], home_of=lambda p: parent_keyed)
        return self._own(entity, tag)

    def _index_shape(self, entity: Entity[Any], tag: str, index: Index) -> KeyShape:
        pk = (_literal(tag), _literal(index.hash_key.name.upper()), Segment(attribute=index.hash_key.name))
        if index.range_key is None:
            return KeyShape(pk, (_literal(ROOT + tag),))
        return KeyShape(pk, (Segment(attribute=index.range_key.name),))

    # --- items ----------------------------------------------------------------------------------------------

    def ancestors_needed(self, entity: Entity[Any]) -> tuple[Entity[Any], str] | None:
        """The parent whose item the keys need (and the field holding its key), or None when the item suffices."""
        placement = self.placement(entity)
        shapes = [placement.home, *(shape for shape, _ in placement.gsis)]
        for shape in shapes:
            for segment in shape.pk + shape.sk:
                if segment.owner is not None and placement.parent is not None and placement.via is not None:
                    return placement.parent, placement.via
        return None

    def to_single(self, entity: Entity[Any], item: Item, parent: Item | None = None) -> Item:
        """The item as the single table holds it: its attributes, `Type`, `PK`/`SK` and its GSI keys."""
        placement = self.placement(entity)
        ancestors = self._ancestry(entity, item, parent)
        stored = dict(item)
        stored[TYPE_ATTRIBUTE] = placement.tag
        stored["PK"], stored["SK"] = (
            self._value(placement.home.pk, ancestors),
            self._value(placement.home.sk, ancestors),
        )
        for number, (shape, _) in enumerate(placement.gsis, start=1):
            pk, sk = self._optional(shape.pk, ancestors), self._optional(shape.sk, ancestors)
            if pk is not None and sk is not None:  # a sparse index: an item without the attribute stays out
                stored[f"GSI{number}PK"], stored[f"GSI{number}SK"] = pk, sk
        return stored

    def key_index(self, entity: Entity[Any], key: Item) -> tuple[str, str, str] | None:
        """For an item whose PK/SK need more than its key (an order): the GSI holding it under its key alone, and
        that key's GSI values there, to find it by key (None: PK/SK follow from the key)."""
        placement = self.placement(entity)
        number = placement.gsi_for("key")
        if placement.by_key or number is None:
            return None
        shape = placement.gsis[number - 1][0]
        return f"GSI{number}", self._value(shape.pk, {None: key}), self._value(shape.sk, {None: key})

    def gsi_attributes(self, entity: Entity[Any]) -> tuple[tuple[int, frozenset[str]], ...]:
        """Each GSI number of the entity with the item's own attributes its keys are made of."""
        return tuple(
            (number, frozenset(s.attribute for s in shape.pk + shape.sk if s.attribute and s.owner is None))
            for number, (shape, _) in enumerate(self.placement(entity).gsis, start=1)
        )

    def _ancestry(self, entity: Entity[Any], item: Item, parent: Item | None) -> dict[str | None, Item]:
        ancestors: dict[str | None, Item] = {None: item, entity.table.name: item}
        needed = self.ancestors_needed(entity)
        if needed is not None:
            if parent is None:
                raise ValueError(f"{entity.table.name}: its keys need its {needed[0].table.name} item")
            ancestors[needed[0].table.name] = parent
        return ancestors

    def _value(self, shape: Shape, ancestors: dict[str | None, Item]) -> str:
        value = self._optional(shape, ancestors)
        if value is None:
            raise ValueError(f"the item has no value for {render(shape)}")
        return value

    @staticmethod
    def _optional(shape: Shape, ancestors: dict[str | None, Item]) -> str | None:
        parts = []
        for segment in shape:
            if segment.literal is not None:
                parts.append(segment.literal)
                continue
            source = ancestors[segment.owner.table.name if segment.owner else None]
            value = source.get(segment.attribute or "")
            if value is None:
                return None
            parts.append(str(value))
        return SEPARATOR.join(parts)

    def from_single(self, item: Item) -> tuple[Entity[Any], Item]:
        """The entity and the old table's item of a single-table item (without its generic attributes)."""
        placement = self.by_tag[item[TYPE_ATTRIBUTE]]
        generic = {"PK", "SK", TYPE_ATTRIBUTE, *(key.name for index in self.table.indexes for key in index.keys)}
        return placement.entity, {name: value for name, value in item.items() if name not in generic}


def attribute_of_field(field: str) -> str:
    return "".join(part.capitalize() for part in field.split("_"))


def _is_root(segment: Segment) -> bool:
    return segment.literal is not None and segment.literal.startswith(ROOT)


ParentLookup = Callable[[Entity[Any], Any], Awaitable[Item | None]]
