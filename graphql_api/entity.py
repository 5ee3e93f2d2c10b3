"""Entity declarations: a domain dataclass, its table, keys and indexes, declared once; everything else derived.

An `Entity` reads the dataclass's fields and types and derives the item mapping (`to_item`/`from_item`:
`order_date` is stored as `OrderDate`; timestamps as ISO-8601 strings, enums as their value, money
re-quantized to cents, nested dataclasses as maps), the key helpers, the table (`Entity.table`, what
`tables create|verify`, the loaders and Terraform use) and its listings (`Entity.listing`: one Query
shape per access pattern, with its key condition, direction and cursor position built from the same
names). A field with a default may be missing from an item (written before the field existed).

    REVIEWS = Entity(Review, "Reviews", key=("product_id", "review_id"), id_prefix="rev", id_format="time_ordered",
                     indexes={"CustomerIndex": ("customer_id", "created_at")},
                     references={"product_id": Reference(PRODUCTS, checked_by="review-product"),
                                 "customer_id": Reference(CUSTOMERS)},
                     unique=Unique(("product_id", "customer_id"), guard_table="ProductReviewers", ...))

The rest of what is physical or checkable is declared here too, so that nothing restates it: the id prefix and
format (`new_id`, `check_id`), the references to other entities (the ERD, `validate`'s reference invariants), the
unique fields (a guard table derived from them: its declaration, the items that claim and release a guard, the
guard invariants of `validate`), the time-to-live attribute (the Table, `tables create|verify`, Terraform) and
each listing's access pattern (`check-patterns`, the IAM Query grants).
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, Generic, Literal, TypeVar

from graphql_api import ids
from graphql_api.clock import ONE_TICK, format_timestamp, parse_timestamp
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.errors import BadUserInput
from graphql_api.money import MONEY, money
from graphql_api.tables import Index, Key, KeyType, StreamView, Table

T = TypeVar("T")

Position = dict[str, Any]
"""Where an item sits in a listing: the attributes of DynamoDB's LastEvaluatedKey."""

_MISSING = object()


def attribute_name(field: str) -> str:
    """`order_date` -> `OrderDate`: descriptive attribute names, derived from the field names."""
    return "".join(part.capitalize() for part in field.split("_"))


Kind = Literal["string", "int", "bool", "decimal", "money", "timestamp", "enum", "list", "map"]
"""What a declared type is, for the readers of the declarations that are not the item mapping (the export)."""


@dataclass(frozen=True)
class Codec:
    """How a declared type is stored and read: the one dispatch on annotations (`_codec`)."""

    store: Callable[[Any], Any]
    load: Callable[[Any], Any]
    key_type: KeyType | None
    """The DynamoDB type when the field is a key of the table or an index; None where it cannot be."""
    stored_type: str
    """The DynamoDB type it is stored as (S, N, BOOL, L, M), for the diagram of the model."""
    kind: Kind
    element: _Mapping | None = None
    """The nested dataclass's mapping: of a "map", or of each element of a "list"."""
    optional: bool = False
    """`X | None`: None when the attribute is missing or NULL (without a default of its own)."""


def _same(value: Any) -> Any:
    return value


def _codec(annotation: Any) -> Codec:
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        base, *metadata = typing.get_args(annotation)
        if MONEY in metadata:
            return Codec(_same, money, "N", "N", "money")
        return _codec(base)
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        codec = _codec(inner)
        return dataclasses.replace(
            codec, store=lambda v: None if v is None else codec.store(v), key_type=None, optional=True
        )
    if origin is tuple:
        element = _Mapping(typing.get_args(annotation)[0])
        return Codec(
            lambda v: [element.to_map(x) for x in v],
            lambda v: tuple(map(element.from_map, v)),
            None,
            "L",
            "list",
            element,
        )
    if annotation is str:
        return Codec(_same, _same, "S", "S", "string")
    if annotation is int:
        return Codec(_same, int, "N", "N", "int")
    if annotation is bool:
        return Codec(_same, bool, None, "BOOL", "bool")
    if annotation is Decimal:
        return Codec(_same, Decimal, "N", "N", "decimal")
    if annotation is datetime:
        return Codec(format_timestamp, parse_timestamp, "S", "S", "timestamp")
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return Codec(lambda v: v.value, annotation, "S", "S", "enum")
    if dataclasses.is_dataclass(annotation):
        mapping = _Mapping(annotation)  # type: ignore[arg-type]
        return Codec(mapping.to_map, mapping.from_map, None, "M", "map", mapping)
    raise TypeError(f"no DynamoDB mapping for {annotation!r}")


@dataclass(frozen=True)
class StoredField:
    """A field of a declared dataclass: its name, its stored attribute, its codec, its default (or none)."""

    name: str
    attribute: str
    codec: Codec
    default: Any


class _Mapping:
    """A dataclass <-> a map of attributes (an item, or a nested map such as an address)."""

    def __init__(self, model: type) -> None:
        hints = typing.get_type_hints(model, include_extras=True)
        self.model = model
        self.fields = tuple(
            StoredField(field.name, attribute_name(field.name), _codec(hints[field.name]), _default(field))
            for field in dataclasses.fields(model)
        )
        self.by_name = {field.name: field for field in self.fields}
        self.from_map = self._compiled_from_map()

    def to_map(self, value: Any) -> dict[str, Any]:
        stored = {field.attribute: field.codec.store(getattr(value, field.name)) for field in self.fields}
        return {name: inner for name, inner in stored.items() if inner is not None}

    def _compiled_from_map(self) -> Callable[[Mapping[str, Any]], Any]:
        """`from_map` for this model: a map of attributes (an absent or None attribute is its field's default,
        KeyError when it has none) -> the dataclass.

        Written out per model and compiled once: every item a request reads goes through it (141 for the
        canonical page), and the loop over fields with a codec call each was 6% of its CPU (cProfile).
        """
        namespace: dict[str, Any] = {"model": self.model}
        lines = ["def from_map(stored):", "    get = stored.get"]
        arguments = []
        for number, field in enumerate(self.fields):
            value = f"v{number}"
            lines.append(f"    {value} = get({field.attribute!r})")
            loaded = value if field.codec.load is _same else f"load{number}({value})"
            namespace[f"load{number}"] = field.codec.load
            if field.default is _MISSING:
                missing = f"{self.model.__name__}: the item has no {field.attribute}"
                lines.append(f"    if {value} is None:")
                lines.append(f"        raise KeyError({missing!r})")
                if loaded != value:
                    lines.append(f"    {value} = {loaded}")
            else:
                namespace[f"default{number}"] = field.default
                lines.append(f"    {value} = default{number} if {value} is None else {loaded}")
            arguments.append(f"{field.name}={value}")
        lines.append(f"    return model({', '.join(arguments)})")
        exec(compile("\n".join(lines), f"<from_map of {self.model.__name__}>", "exec"), namespace)  # noqa: S102
        compiled: Callable[[Mapping[str, Any]], Any] = namespace["from_map"]
        return compiled


def _default(field: dataclasses.Field[Any]) -> Any:
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return _MISSING


IdFormat = Literal["random", "time_ordered"]
"""How an entity's new ids are made: 128 random bits, or milliseconds then random bits (string order is time order)."""


@dataclass(frozen=True)
class Reference:
    """A field holding the key of another entity's item (its single key field).

    `checked_by` names `validate`'s invariant that the item referred to exists; None for a reference that may
    outlive its item on purpose (a review stays when its author's customer is deleted).
    """

    target: Entity[Any]
    checked_by: str | None = None


@dataclass(frozen=True)
class Unique:
    """Fields whose values one item at most may hold: a guard item keyed by them, in a table of its own, written
    in the same transaction as the item (a GSI cannot enforce uniqueness).

    The guard holds the unique fields and the key of the item it reserves for. `reserved_by` names `validate`'s
    invariant that every item is reserved by its own guard, `reserves` the one that every guard reserves for an
    existing item with those values (the same name checks both).
    """

    fields: tuple[str, ...]
    guard_table: str
    reserved_by: str
    reserves: str
    description: str = ""


class Guard(Generic[T]):
    """A declared `Unique` bound to its entity: the guard table's entity, and the guard of an item."""

    def __init__(self, owner: Entity[T], unique: Unique) -> None:
        self.owner = owner
        self.unique = unique
        self.owner_fields = tuple(name for name in owner.key_fields if name not in unique.fields)
        hints = typing.get_type_hints(owner.model, include_extras=True)
        names = (*unique.fields, *self.owner_fields)
        model = dataclasses.make_dataclass(unique.guard_table, [(name, hints[name]) for name in names], frozen=True)
        model.__module__ = owner.model.__module__
        model.__doc__ = f"Reserves {', '.join(unique.fields)} of {owner.table.name} for one item."
        single = owner.key_fields[0] if len(owner.key_fields) == 1 else None
        references = {
            name: Reference(owner.references[name].target) if name in owner.references else Reference(owner)
            for name in names
            if name in owner.references or name == single
        }
        self.entity: Entity[Any] = Entity(model, unique.guard_table, key=unique.fields, references=references)
        self.entity.guard_of = self

    def of(self, value: T) -> Any:
        """The guard item that reserves `value`'s unique fields for it."""
        return self.entity.model(**{name: getattr(value, name) for name in self.entity.key_fields + self.owner_fields})

    def holder(self, guard: Any) -> tuple[Any, ...]:
        """The key of the item a guard reserves for."""
        return self.owner.key(*(getattr(guard, name) for name in self.owner.key_fields))


class Entity(Generic[T]):
    """A domain dataclass stored in a table of its own: the one declaration of both."""

    def __init__(
        self,
        model: type[T],
        table: str,
        *,
        key: tuple[str, ...],
        indexes: Mapping[str, tuple[str, ...]] | None = None,
        stream: StreamView | None = None,
        id_prefix: str | None = None,
        id_format: IdFormat = "random",
        references: Mapping[str, Reference] | None = None,
        unique: Unique | None = None,
        ttl: str | None = None,
        filterable: tuple[str, ...] = (),
    ) -> None:
        self.model = model
        self.mapping = _Mapping(model)
        self.key_fields = key
        self.id_prefix = id_prefix
        """Its ids are `<prefix>_` and 32 lowercase hex digits (graphql_api.ids); None: no ids of its own."""
        self.id_format: IdFormat = id_format
        self.id_field = key[-1] if id_prefix else None
        """The field holding the entity's own id: the last key field."""
        if id_prefix is not None and not ids.is_prefix(id_prefix):
            raise ValueError(f"{table}: id prefix {id_prefix!r} is not three lowercase letters")
        self.references: Mapping[str, Reference] = dict(references or {})
        if unknown := set(self.references) - set(self.mapping.by_name):
            raise TypeError(f"{table}: references name no declared field: {', '.join(sorted(unknown))}")
        self.ttl = ttl
        """The field DynamoDB's time to live reads (epoch seconds); None: items never expire."""
        if unknown := set(filterable) - set(self.mapping.by_name):
            raise TypeError(f"{table}: filterable names no declared field: {', '.join(sorted(unknown))}")
        self.declared_filterable = filterable
        """Fields a list may filter on beyond its listings' keys (graphql_api.planner; the GraphQL `<Type>Filter`)."""
        self.listings: tuple[Listing[T], ...] = ()
        """Every listing declared on it (`listing`), in declaration order."""
        self.guard_of: Guard[Any] | None = None
        self.on_delete: list[Callable[[Dynamo, str], Awaitable[None]]] = []
        """What goes with an item when it is deleted: the items of other entities it owns, by its id. Each owning
        entity's module adds its own (`Roots.deleted_with`, through graphql_api.graphql.registry)."""
        """Set on a guard table's entity: the declaration it was derived from."""
        self.table = Table(
            name=table,
            hash_key=self._key(key[0]),
            range_key=self._key(key[1]) if len(key) > 1 else None,
            indexes=tuple(
                Index(name, self._key(fields[0]), self._key(fields[1]) if len(fields) > 1 else None)
                for name, fields in (indexes or {}).items()
            ),
            stream=stream,
            ttl_attribute=self.attribute(ttl) if ttl else None,
        )
        self.unique: Guard[T] | None = Guard(self, unique) if unique else None

    @property
    def guards(self) -> tuple[Entity[Any], ...]:
        """The guard tables derived from this declaration."""
        return (self.unique.entity,) if self.unique else ()

    def guard(self) -> Guard[T]:
        """The declared unique fields' guard (TypeError when none is declared)."""
        if self.unique is None:
            raise TypeError(f"{self.table.name} declares no unique fields")
        return self.unique

    def new_id(self) -> str:
        """A new id of this entity, in its declared format."""
        if self.id_prefix is None:
            raise TypeError(f"{self.table.name} declares no id prefix")
        if self.id_format == "time_ordered":
            return ids.new_time_ordered_id(self.id_prefix)
        return ids.new_id(self.id_prefix)

    def is_id(self, value: str) -> bool:
        return self.id_prefix is not None and ids.is_id(self.id_prefix, value)

    def check_id(self, value: str, field: str) -> str:
        """`value` if it is an id of this entity; BAD_USER_INPUT naming `field` otherwise."""
        if self.id_prefix is None:
            raise TypeError(f"{self.table.name} declares no id prefix")
        if not ids.is_id(self.id_prefix, value):
            raise BadUserInput(field, f"not a valid id ({ids.describe(self.id_prefix)})")
        return value

    def __repr__(self) -> str:
        # A failing comparison of entities (sets, dicts keyed by entity) names the tables involved.
        return f"Entity({self.table.name})"

    def _key(self, field: str) -> Key:
        key_type = self.mapping.by_name[field].codec.key_type
        if key_type is None:
            raise TypeError(f"{self.model.__name__}.{field} cannot be a key: it is not a string or a number")
        return Key(attribute_name(field), key_type)

    def field_named(self, attribute: str) -> str:
        """The field stored as `attribute` (`field_named("OrderDate")` is `order_date`)."""
        return next(field.name for field in self.mapping.fields if field.attribute == attribute)

    def attribute(self, field: str) -> str:
        """The stored attribute of a field (`attribute("order_date")` is `OrderDate`)."""
        return self.mapping.by_name[field].attribute

    def stored(self, field: str, value: Any) -> Any:
        """A field's value as it is stored (a timestamp as its string, an enum as its value)."""
        return self.mapping.by_name[field].codec.store(value)

    def to_item(self, value: T) -> Item:
        return self.mapping.to_map(value)

    def from_item(self, item: Item) -> T:
        loaded: T = self.mapping.from_map(item)
        return loaded

    def key(self, *values: Any) -> tuple[Any, ...]:
        """The key of an item from its key fields' values, in key order."""
        if len(values) != len(self.key_fields):
            raise TypeError(f"{self.table.name} is keyed by {', '.join(self.key_fields)}")
        return tuple(self.stored(field, value) for field, value in zip(self.key_fields, values, strict=True))

    def key_of(self, value: T) -> tuple[Any, ...]:
        return self.key(*(getattr(value, field) for field in self.key_fields))

    @property
    def filterable(self) -> tuple[str, ...]:
        """Fields a list may filter on: its listings' keys, then those declared, in declaration order."""
        keys = {
            field.name
            for listing in self.listings
            for field in self.mapping.fields
            if field.attribute in {key.name for key in listing.keys}
        }
        wanted = keys | set(self.declared_filterable)
        return tuple(field.name for field in self.mapping.fields if field.name in wanted)

    def listing(
        self, index: str | None = None, *, newest_first: bool = False, pattern: str = "", purpose: str = ""
    ) -> Listing[T]:
        """The items sharing a hash key, in range-key order: of the table itself (`None`) or of an index.

        `pattern` is the access pattern it serves (`AP8`) and `purpose` what it is for: the rows of
        `check-patterns`, the IAM Query grants and the docs read them.
        """
        declared = Listing(self, self.table.index(index) if index else None, newest_first, pattern, purpose)
        self.listings += (declared,)
        return declared


@dataclass(frozen=True)
class Range:
    """A range on the listing's range key: at or after `start`, strictly before `end` (either may be None)."""

    start: Any = None
    end: Any = None


@dataclass(frozen=True)
class Page(Generic[T]):
    entries: list[tuple[T, Position]]
    has_next: bool
    resume_at: Position | None = None
    """Set only when the read budget ran out before any match: where the next page starts."""


# Without a filter a page of `first` needs `first + 1` items (the extra one tells hasNextPage).
# With a filter, read larger slices so that sparse matches do not cost a request each.
FILTERED_SLICE = 100


@dataclass(frozen=True)
class Listing(Generic[T]):
    """One access pattern's Query: the items of one hash key of the table or an index, in range-key order."""

    entity: Entity[T]
    index: Index | None
    newest_first: bool
    pattern: str = ""
    """The access pattern it serves (`AP3`)."""
    purpose: str = ""

    @property
    def keys(self) -> tuple[Key, ...]:
        return self.index.keys if self.index else self.entity.table.keys

    @property
    def position(self) -> tuple[str, ...]:
        """The attributes a cursor holds: DynamoDB's LastEvaluatedKey for this index."""
        return self.entity.table.position_attributes(self.index)

    async def page(
        self,
        dynamo: Dynamo,
        hash_value: Any,
        *,
        first: int,
        after: Position | None,
        read_budget: int,
        within: Range | None = None,
        where: Mapping[str, Any] | None = None,
    ) -> Page[T]:
        """Up to `first` items (plus one, to know whether more follow), from `after` on.

        `within` bounds the range key (in its key condition); `where` keeps the items whose fields equal
        the values given (a filter, applied after the key condition). With a filter the Query reads on
        until it has `first` matches or the listing ends, within `read_budget` requests; if the budget
        runs out the page ends early with hasNextPage true, so that a request costs bounded work.
        """
        if within is not None and within.start is not None and within.end is not None and within.start >= within.end:
            return Page([], has_next=False)  # an empty range holds nothing (and DynamoDB refuses BETWEEN on it)
        hash_key, *range_keys = self.keys
        names = {"#h": hash_key.name}
        values: dict[str, Any] = {":h": self.entity.stored(self.entity.field_named(hash_key.name), hash_value)}
        condition = "#h = :h"
        if within is not None and range_keys and (within.start is not None or within.end is not None):
            condition += self._range_condition(range_keys[0], within, names, values)
        params: dict[str, Any] = {
            "TableName": self.entity.table.physical_name(dynamo.table_prefix),
            "KeyConditionExpression": condition,
            "ScanIndexForward": not self.newest_first,
            "Limit": FILTERED_SLICE if where else first + 1,
        }
        if self.index is not None:
            params["IndexName"] = self.index.name
        if where:
            filters = []
            for number, (field, wanted) in enumerate(where.items()):
                names[f"#f{number}"] = self.entity.attribute(field)
                values[f":f{number}"] = self.entity.stored(field, wanted)
                filters.append(f"#f{number} = :f{number}")
            params["FilterExpression"] = " AND ".join(filters)
        params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = serialize_item(values)
        return await self._read(dynamo, params, first=first, after=after, read_budget=read_budget)

    def _range_condition(self, key: Key, within: Range, names: dict[str, str], values: dict[str, Any]) -> str:
        """The range key's part of the key condition; half-open, [start, end)."""
        names["#r"] = key.name
        field = self.entity.field_named(key.name)
        start = None if within.start is None else self.entity.stored(field, within.start)
        if within.start is not None and within.end is not None:
            # BETWEEN is inclusive on both ends: stop one tick (a microsecond) before the end.
            values[":start"], values[":end"] = start, self.entity.stored(field, within.end - ONE_TICK)
            return " AND #r BETWEEN :start AND :end"
        if start is not None:
            values[":start"] = start
            return " AND #r >= :start"
        values[":end"] = self.entity.stored(field, within.end)
        return " AND #r < :end"

    async def _read(
        self, dynamo: Dynamo, params: dict[str, Any], *, first: int, after: Position | None, read_budget: int
    ) -> Page[T]:
        matches: list[Item] = []
        start = after
        for _ in range(read_budget):
            if start is not None:
                params["ExclusiveStartKey"] = serialize_item(start)
            response = await dynamo.call("query", **params)
            matches.extend(deserialize_item(attributes) for attributes in response.get("Items", []))
            last_key = response.get("LastEvaluatedKey")
            if len(matches) > first or not last_key:
                break
            start = deserialize_item(last_key)
        else:
            if not matches:
                return Page(entries=[], has_next=True, resume_at=start)
            return Page(entries=self._entries(matches), has_next=True)
        return Page(entries=self._entries(matches[:first]), has_next=len(matches) > first)

    def _entries(self, items: list[Item]) -> list[tuple[T, Position]]:
        position = self.position
        return [(self.entity.from_item(item), {name: item[name] for name in position}) for item in items]
