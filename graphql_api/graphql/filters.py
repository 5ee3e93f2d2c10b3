"""`<Type>Filter` and `<Type>Order`, derived from an entity's declaration, and their reading into planner terms.

A field is filterable by being a key of one of the entity's listings or by being declared so (`Entity(...,
filterable=...)`); its operators follow its type: `eq`, `ne`, `in` (at most MAX_IN values), `exists` for all;
`lt`, `lte`, `gt`, `gte`, `between` for the ordered ones (strings, numbers, timestamps); `beginsWith` for
strings and ids; `contains` for strings. `and`, `or` and `not` nest at most MAX_NESTING deep. `<Type>Order`
names the sort keys of the entity's listings, one of them set, ASC or DESC (graphql_api.planner decides which
listing serves them).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from datetime import datetime
from decimal import Decimal
from typing import Any, Optional

import strawberry

from graphql_api.entity import Entity
from graphql_api.errors import BadUserInput
from graphql_api.planner import MAX_IN, All, AnyOf, Condition, Not, Order, Plan, Term


@strawberry.enum(description="A direction of order.")
class SortDirection(enum.Enum):
    ASC = "ASC"
    DESC = "DESC"


def _operators(name: str, value: Any, *, ordered: bool, strings: bool, prefix: bool) -> type:
    """One operator input (`StringFilter`, ...): every operator its type allows, each optional."""
    annotations: dict[str, Any] = {"eq": Optional[value], "ne": Optional[value]}  # noqa: UP045
    namespace: dict[str, Any] = {
        "eq": None,
        "ne": None,
        "in_": strawberry.field(name="in", default=None, description=f"At most {MAX_IN} values."),
        "exists": strawberry.field(default=None, description="Whether the item has the attribute at all."),
    }
    annotations["in_"] = Optional[list[value]]  # noqa: UP045
    annotations["exists"] = Optional[bool]  # noqa: UP045
    if ordered:
        for op in ("lt", "lte", "gt", "gte"):
            annotations[op], namespace[op] = Optional[value], None  # noqa: UP045
        annotations["between"] = Optional[list[value]]  # noqa: UP045
        namespace["between"] = strawberry.field(default=None, description="Two values: from and to, both included.")
    if prefix:
        annotations["begins_with"], namespace["begins_with"] = Optional[value], None  # noqa: UP045
    if strings:
        annotations["contains"], namespace["contains"] = Optional[value], None  # noqa: UP045
    namespace["__annotations__"] = annotations
    namespace["__module__"] = __name__
    return strawberry.input(type(name, (), namespace), name=name)


StringFilter = _operators("StringFilter", str, ordered=True, strings=True, prefix=True)
IDFilter = _operators("IDFilter", strawberry.ID, ordered=False, strings=False, prefix=True)
IntFilter = _operators("IntFilter", int, ordered=True, strings=False, prefix=False)
DecimalFilter = _operators("DecimalFilter", Decimal, ordered=True, strings=False, prefix=False)
DateTimeFilter = _operators("DateTimeFilter", datetime, ordered=True, strings=False, prefix=False)
_ENUM_FILTERS: dict[type, type] = {}

OPERATORS = ("eq", "ne", "in_", "lt", "lte", "gt", "gte", "between", "begins_with", "contains", "exists")
_OP_NAMES = {"in_": "in", "begins_with": "beginsWith"}


def _operator_input(entity: Entity[Any], field: str) -> type:
    codec = entity.mapping.by_name[field].codec
    if field == entity.id_field or field in entity.references:
        return IDFilter
    if codec.kind == "enum":
        enum_class: type = codec.load  # type: ignore[assignment]
        if enum_class not in _ENUM_FILTERS:
            name = f"{enum_class.__name__}Filter"
            _ENUM_FILTERS[enum_class] = _operators(name, enum_class, ordered=False, strings=False, prefix=False)
        return _ENUM_FILTERS[enum_class]
    by_kind = {"int": IntFilter, "decimal": DecimalFilter, "money": DecimalFilter, "timestamp": DateTimeFilter}
    return by_kind.get(codec.kind, StringFilter)


_FILTERS: dict[int, type] = {}
FILTERED: list[tuple[Entity[Any], str]] = []
"""Every entity a list filters, with its filter type's name, as the schema's modules made them."""
_ORDERS: dict[int, type] = {}


def filter_input(entity: Entity[Any], node: str) -> type:
    """`<node>Filter` of the entity: one operator input per filterable field, and `and`, `or`, `not`."""
    if id(entity) in _FILTERS:
        return _FILTERS[id(entity)]
    name = f"{node}Filter"
    cls: Any = type(name, (), {"__module__": __name__})
    annotations: dict[str, Any] = {field: Optional[_operator_input(entity, field)] for field in entity.filterable}  # noqa: UP045
    for field in entity.filterable:
        setattr(cls, field, None)
    annotations |= {"and_": Optional[list[cls]], "or_": Optional[list[cls]], "not_": Optional[cls]}  # noqa: UP045
    cls.and_ = strawberry.field(name="and", default=None, description="Every one of these holds.")
    cls.or_ = strawberry.field(name="or", default=None, description="At least one of these holds.")
    cls.not_ = strawberry.field(name="not", default=None, description="This does not hold.")
    cls.__annotations__ = annotations
    description = (
        f"Filters {entity.table.name}: one index's partition key with eq or in picks the index (graphql_api.planner)."
    )
    _FILTERS[id(entity)] = strawberry.input(cls, name=name, description=description)
    FILTERED.append((entity, name))
    return _FILTERS[id(entity)]


def sort_fields(entity: Entity[Any]) -> tuple[str, ...]:
    """The fields an order may name: the sort keys of the entity's listings (of a listing without one, its
    partition key: an `in` then reads its partitions in that order)."""
    attributes = {listing.keys[-1].name for listing in entity.listings}
    return tuple(field.name for field in entity.mapping.fields if field.attribute in attributes)


def order_input(entity: Entity[Any], node: str) -> type:
    """`<node>Order`: one of the entity's sort keys, ASC or DESC."""
    if id(entity) in _ORDERS:
        return _ORDERS[id(entity)]
    name = f"{node}Order"
    fields = sort_fields(entity)
    namespace: dict[str, Any] = dict.fromkeys(fields)
    namespace["__annotations__"] = {field: Optional[SortDirection] for field in fields}  # noqa: UP045
    namespace["__module__"] = __name__
    description = "Set one field: the order of the listing that serves the filter (its index's sort key)."
    _ORDERS[id(entity)] = strawberry.input(type(name, (), namespace), name=name, description=description)
    return _ORDERS[id(entity)]


def camel(field: str) -> str:
    """A field's GraphQL name (`order_date` -> `orderDate`)."""
    head, *rest = field.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _get(value: Any, attribute: str) -> Any:
    """An input's field: of a Strawberry input object (a resolver's argument) or of graphql-core's coerced map
    (keyed by GraphQL names: `explain`)."""
    if isinstance(value, Mapping):
        name = {"in_": "in", "and_": "and", "or_": "or", "not_": "not"}.get(attribute, camel(attribute))
        return value.get(name, value.get(attribute))
    return getattr(value, attribute, None)


def condition_of(value: Any, entity: Entity[Any], path: str = "filter") -> Condition | None:
    """The planner's condition for a `<Type>Filter` value (None: no filter)."""
    if value is None:
        return None
    parts: list[Condition] = []
    for field in entity.filterable:
        operators = _get(value, field)
        if operators is None:
            continue
        for op in OPERATORS:
            given = _get(operators, op)
            if given is None:
                continue
            where = f"{path}.{camel(field)}.{_OP_NAMES.get(op, op)}"
            if op == "in_" and not 0 < len(given) <= MAX_IN:
                raise BadUserInput(where, f"give 1 to {MAX_IN} values, got {len(given)}")
            if op == "between" and len(given) != 2:
                raise BadUserInput(where, f"give two values (from and to), got {len(given)}")
            if op == "between" and entity.stored(field, given[0]) > entity.stored(field, given[1]):
                raise BadUserInput(where, "the first value (from) is after the second (to)")
            parts.append(Term(field, _OP_NAMES.get(op, op), list(given) if isinstance(given, list) else given))  # type: ignore[arg-type]
    for attribute, joined in (("and_", All), ("or_", AnyOf)):
        listed = _get(value, attribute)
        if listed is None:
            continue
        if not listed:
            raise BadUserInput(f"{path}.{attribute[:-1]}", "give at least one filter")
        nested = [condition_of(each, entity, f"{path}.{attribute[:-1]}") for each in listed]
        kept = tuple(each for each in nested if each is not None)
        if len(kept) != len(nested):
            raise BadUserInput(f"{path}.{attribute[:-1]}", "an empty filter cannot be joined")
        parts.append(joined(kept))
    negated = _get(value, "not_")
    if negated is not None:
        inner = condition_of(negated, entity, f"{path}.not")
        if inner is None:
            raise BadUserInput(f"{path}.not", "give a filter to negate")
        parts.append(Not(inner))
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def order_of(value: Any, entity: Entity[Any]) -> Order | None:
    if value is None:
        return None
    chosen = [(field, _get(value, field)) for field in sort_fields(entity) if _get(value, field) is not None]
    if len(chosen) != 1:
        allowed = ", ".join(camel(field) for field in sort_fields(entity))
        raise BadUserInput("orderBy", f"set exactly one of {allowed}")
    field, direction = chosen[0]
    return Order(field, direction == SortDirection.ASC)


def filter_argument(entity: Entity[Any], node: str) -> Any:
    """The `filter` argument of a resolver: `filter: Annotated[Any, ORDER_FILTER] = None`."""
    return strawberry.argument(graphql_type=Optional[filter_input(entity, node)])  # noqa: UP045


def order_argument(entity: Entity[Any], node: str) -> Any:
    """The `orderBy` argument of a resolver: `order_by: Annotated[Any, ORDER_ORDER] = None`."""
    return strawberry.argument(graphql_type=Optional[order_input(entity, node)])  # noqa: UP045


EXPLAIN = "explain"
"""The key, in a listing field's Strawberry metadata, of how it plans its arguments (`graphql-api explain`)."""

PARENT = "<the parent's key>"
"""The partition a connection under its parent reads, as `explain` shows it (the parent is not read)."""


def explained(how: Callable[[Mapping[str, Any]], Plan[Any]]) -> dict[str, Any]:
    """A listing field's metadata: the plan its (coerced) arguments make."""
    return {EXPLAIN: how}
