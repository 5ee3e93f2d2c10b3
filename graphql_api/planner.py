"""The filter planner: a filter on an entity becomes one Query on its best declared listing, never a scan.

A filter is a `Condition` (terms on fields joined by and, or, not). The planner looks at the terms joined
by `and` at the top: an equality, or an `in` of at most MAX_IN values, on a listing's partition key picks
that listing; one range term on its sort key joins the key condition; everything else becomes the
FilterExpression. Among the listings that qualify it prefers the one whose sort key the filter bounds or the
order names, then the first declared. `orderBy` is allowed on the chosen listing's sort key, in either
direction. A filter no listing can serve, and an order no qualifying listing keeps, are BAD_USER_INPUT naming
the fields that would do.

`read` runs a plan: one Query per partition (an `in` reads its partitions concurrently and merges them in
order), reading on until the page is full; no round of reads starts once `read_budget` requests are made
(so a page costs at most the budget plus the partitions less one: `Plan.worst_case_reads`). Its cursor holds where each
partition's reading stands (an item's position, or the last key examined, or done), so a page cut short by
the budget (`truncated`) continues exactly where the reading stopped: no item is skipped or repeated across
pages, whatever the filter.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.entity import Entity, Listing
from graphql_api.errors import BadUserInput

T = TypeVar("T")

Op = Literal["eq", "ne", "in", "lt", "lte", "gt", "gte", "between", "beginsWith", "contains", "exists"]

MAX_IN = 25
"""Values of one `in` (SPEC 13); on a partition key, one Query each."""
MAX_NESTING = 3
"""Depth of and/or/not (SPEC 13)."""
FILTERED_SLICE = 100
"""Items asked per read when a FilterExpression may drop some (sparse matches should not cost a request each)."""

KEY_OPS: frozenset[str] = frozenset({"eq", "lt", "lte", "gt", "gte", "between", "beginsWith"})
"""What a sort key's key condition can say."""


@dataclass(frozen=True)
class Term:
    field: str
    op: Op
    value: Any


@dataclass(frozen=True)
class All:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    parts: tuple[Condition, ...]


@dataclass(frozen=True)
class Not:
    part: Condition


Condition = Term | All | AnyOf | Not


def conjuncts(condition: Condition | None) -> list[Condition]:
    """The parts joined by `and` at the top."""
    if condition is None:
        return []
    if isinstance(condition, All):
        return [part for each in condition.parts for part in conjuncts(each)]
    return [condition]


def depth(condition: Condition | None) -> int:
    """Nesting of and/or/not (a term alone: 0)."""
    if condition is None or isinstance(condition, Term):
        return 0
    parts = (condition.part,) if isinstance(condition, Not) else condition.parts
    return 1 + max((depth(part) for part in parts), default=0)


def fields_of(condition: Condition | None) -> set[str]:
    if condition is None:
        return set()
    if isinstance(condition, Term):
        return {condition.field}
    parts = (condition.part,) if isinstance(condition, Not) else condition.parts
    return set().union(*(fields_of(part) for part in parts))


@dataclass(frozen=True)
class Order:
    field: str
    ascending: bool


@dataclass(frozen=True)
class Plan(Generic[T]):
    listing: Listing[T]
    partitions: tuple[Any, ...]
    """The partition key values to read (one Query each), in the order a tie between them is broken."""
    key_term: Term | None
    """The term on the sort key that joins the key condition."""
    rest: Condition | None
    """Everything else on other attributes: the FilterExpression."""
    forward: bool
    """The sort key's direction (DynamoDB's ScanIndexForward)."""
    local: Condition | None = None
    """What touches a key attribute beyond the key condition (a second range on the sort key, a test of the
    partition key in an or): DynamoDB refuses key attributes in a FilterExpression, so the reader tests these
    on the items the Query returns."""

    strict_range: bool = False
    """The key condition's BETWEEN stands for a range with a strict bound (then equal bounds hold nothing)."""

    @property
    def empty(self) -> bool:
        """A sort key range that holds nothing (a lower bound above the upper): nothing to read."""
        if self.key_term is None or self.key_term.op != "between" or self.sort_field is None:
            return False
        low, high = (self.entity.stored(self.sort_field, value) for value in self.key_term.value)
        return bool(low > high or (low == high and self.strict_range))

    @property
    def filtered(self) -> bool:
        """Whether some items read may not match (a page may need more than one read)."""
        return self.rest is not None or self.local is not None

    @property
    def entity(self) -> Entity[T]:
        return self.listing.entity

    @property
    def hash_field(self) -> str:
        return _field(self.listing, 0)

    @property
    def sort_field(self) -> str | None:
        return _field(self.listing, 1) if len(self.listing.keys) > 1 else None

    def worst_case_reads(self, read_budget: int) -> int:
        """Requests the plan may make for one page: one per partition when nothing is filtered out (each read
        holds a page and one more); else up to the budget, whose last round may read every partition."""
        partitions = len(self.partitions)
        return partitions if not self.filtered else read_budget + partitions - 1

    def describe(self, read_budget: int) -> dict[str, Any]:
        """What `graphql-api explain` prints: the index, the key condition, the filter, the worst-case reads."""
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        keys = [self._key_condition(partition, names, values) for partition in self.partitions]
        filter_expression = None if self.rest is None else _render(self.entity, self.rest, names, values)
        return {
            "table": self.entity.table.name,
            "index": self.listing.index.name if self.listing.index else None,
            "pattern": self.listing.pattern,
            "queries": len(self.partitions),
            "keyCondition": keys[0] if len(keys) == 1 else keys,
            "filterExpression": filter_expression,
            "testedOnItems": None if self.local is None else _render(self.entity, self.local, {}, {}, shown=True),
            "scanIndexForward": self.forward,
            "expressionAttributeNames": names,
            "expressionAttributeValues": {name: _plain(value) for name, value in values.items()},
            "worstCaseReads": self.worst_case_reads(read_budget),
        }

    def query_params(self, partition: Any, table_prefix: str, limit: int) -> dict[str, Any]:
        names: dict[str, str] = {}
        values: dict[str, Any] = {}
        params: dict[str, Any] = {
            "TableName": self.entity.table.physical_name(table_prefix),
            "KeyConditionExpression": self._key_condition(partition, names, values),
            "ScanIndexForward": self.forward,
            "Limit": limit,
        }
        if self.listing.index is not None:
            params["IndexName"] = self.listing.index.name
        if self.rest is not None:
            params["FilterExpression"] = _render(self.entity, self.rest, names, values)
        params["ExpressionAttributeNames"] = names
        params["ExpressionAttributeValues"] = serialize_item(values)
        return params

    def _key_condition(self, partition: Any, names: dict[str, str], values: dict[str, Any]) -> str:
        hash_name = _name(self.entity, self.hash_field, names)
        hash_value = _value(self.entity, self.hash_field, partition, values)
        condition = f"{hash_name} = {hash_value}"
        if self.key_term is not None:
            condition += " AND " + _render_term(self.entity, self.key_term, names, values)
        return condition


def _field(listing: Listing[Any], position: int) -> str:
    return listing.entity.field_named(listing.keys[position].name)


def plan(
    listings: Sequence[Listing[T]],
    condition: Condition | None,
    order: Order | None = None,
    *,
    partition: Any = None,
) -> Plan[T]:
    """The Query that serves `condition` in `order`: on the first of `listings` that can (BAD_USER_INPUT if none).

    `partition` fixes the partition key's value (a connection under its parent: the customer's orders);
    then `listings` is the parent's listing alone.
    """
    terms = conjuncts(condition)
    # The top's `and` is the filter's own fields side by side: not a nesting.
    if max((depth(part) for part in terms), default=0) > MAX_NESTING:
        raise BadUserInput("filter", f"and/or/not may nest at most {MAX_NESTING} deep")
    candidates = []
    for listing in listings:
        hash_field = _field(listing, 0)
        if partition is not None:
            chosen_hash: Term | None = None
            partitions: tuple[Any, ...] = (partition,)
        else:
            chosen_hash = next((term for term in _terms(terms) if _serves_partition(term, hash_field)), None)
            if chosen_hash is None:
                continue
            partitions = _partitions(chosen_hash)
        sort_field = _field(listing, 1) if len(listing.keys) > 1 else None
        candidates.append((listing, chosen_hash, partitions, sort_field, _sort_key_terms(terms, sort_field)))
    if not candidates:
        served = sorted({_field(listing, 0) for listing in listings})
        raise BadUserInput(
            "filter",
            f"no index serves this filter: give an equality (eq, or in with at most {MAX_IN} values) on one of "
            f"{', '.join(served)}",
        )
    if order is not None:
        # A listing without a sort key is ordered by its partitions: an `in` reads them in the order asked.
        ordered = [
            candidate
            for candidate in candidates
            if candidate[3] == order.field or (candidate[3] is None and _field(candidate[0], 0) == order.field)
        ]
        if not ordered:
            allowed = sorted({sort for *_, sort, _key in candidates if sort is not None})
            raise BadUserInput(
                "orderBy",
                f"this filter's index orders by {', '.join(allowed) or 'nothing'}; {order.field} is not allowed",
            )
        candidates = ordered
    # Prefer a listing whose sort key the filter bounds too (fewer items examined); then the first declared.
    listing, chosen_hash, partitions, sort_field, (key_term, used, strict) = max(
        candidates, key=lambda candidate: candidate[4][0] is not None
    )
    rest_parts = [part for part in terms if part is not chosen_hash and not any(part is each for each in used)]
    keys = {_field(listing, number) for number in range(len(listing.keys))} | set(listing.entity.key_fields)
    remote = [part for part in rest_parts if not fields_of(part) & keys]
    local = [part for part in rest_parts if fields_of(part) & keys]
    rest = None if not remote else simplified(All(tuple(remote)))
    forward = order.ascending if order is not None else not listing.newest_first
    if order is not None and sort_field is None:
        hash_field = _field(listing, 0)
        partitions = tuple(
            sorted(partitions, key=lambda value: listing.entity.stored(hash_field, value), reverse=not forward)
        )
    local_condition = None if not local else simplified(All(tuple(local)))
    return Plan(listing, partitions, key_term, rest, forward, local_condition, strict)


def _sort_key_terms(terms: list[Condition], sort_field: str | None) -> tuple[Term | None, list[Term], bool]:
    """The key condition's term on the sort key, the filter's terms it stands for, and whether the range holds
    nothing. A lower and an upper bound become one BETWEEN (inclusive: a strict bound is also tested on the items,
    so it stays in the rest)."""
    on_sort = [term for term in _terms(terms) if term.field == sort_field and term.op in KEY_OPS]
    lower = next((term for term in on_sort if term.op in ("gt", "gte")), None)
    upper = next((term for term in on_sort if term.op in ("lt", "lte")), None)
    if lower is not None and upper is not None and sort_field is not None:
        used = [term for term in (lower, upper) if not term.op.endswith("t")]  # gte and lte are fully served
        strict = lower.op == "gt" or upper.op == "lt"
        return Term(sort_field, "between", [lower.value, upper.value]), used, strict
    if on_sort:
        return on_sort[0], [on_sort[0]], False
    return None, [], False


def _terms(parts: list[Condition]) -> list[Term]:
    return [part for part in parts if isinstance(part, Term)]


def _serves_partition(term: Term, hash_field: str) -> bool:
    if term.field != hash_field:
        return False
    return term.op == "eq" or (
        term.op == "in" and isinstance(term.value, list | tuple) and 0 < len(term.value) <= MAX_IN
    )


def _partitions(term: Term) -> tuple[Any, ...]:
    if term.op == "eq":
        return (term.value,)
    unique: dict[Any, None] = dict.fromkeys(term.value)  # a value given twice is read once
    return tuple(unique)


# --- Expressions -----------------------------------------------------------------------------------------------


def _name(entity: Entity[Any], field: str, names: dict[str, str]) -> str:
    attribute = entity.attribute(field)
    for placeholder, existing in names.items():
        if existing == attribute:
            return placeholder
    placeholder = f"#n{len(names)}"
    names[placeholder] = attribute
    return placeholder


def _value(entity: Entity[Any], field: str, value: Any, values: dict[str, Any]) -> str:
    placeholder = f":v{len(values)}"
    values[placeholder] = entity.stored(field, value)
    return placeholder


def _render_term(entity: Entity[Any], term: Term, names: dict[str, str], values: dict[str, Any]) -> str:
    name = _name(entity, term.field, names)
    if term.op == "exists":
        return f"attribute_exists({name})" if term.value else f"attribute_not_exists({name})"
    if term.op == "in":
        placeholders = [_value(entity, term.field, each, values) for each in term.value]
        return f"{name} IN ({', '.join(placeholders)})"
    if term.op == "between":
        low, high = term.value
        return (
            f"{name} BETWEEN {_value(entity, term.field, low, values)} AND {_value(entity, term.field, high, values)}"
        )
    value = _value(entity, term.field, term.value, values)
    if term.op == "beginsWith":
        return f"begins_with({name}, {value})"
    if term.op == "contains":
        return f"contains({name}, {value})"
    symbol = {"eq": "=", "ne": "<>", "lt": "<", "lte": "<=", "gt": ">", "gte": ">="}[term.op]
    return f"{name} {symbol} {value}"


def simplified(condition: Condition) -> Condition:
    """The same condition without what DynamoDB refuses as redundant parentheses: a one-part and/or is its part,
    an and within an and (an or within an or) is flattened, a double negation cancels."""
    if isinstance(condition, Term):
        return condition
    if isinstance(condition, Not):
        inner = simplified(condition.part)
        return inner.part if isinstance(inner, Not) else Not(inner)
    kind = type(condition)
    parts: list[Condition] = []
    for part in (simplified(each) for each in condition.parts):
        parts.extend(part.parts if isinstance(part, kind) else (part,))
    return parts[0] if len(parts) == 1 else kind(tuple(parts))


def _render(
    entity: Entity[Any], condition: Condition, names: dict[str, str], values: dict[str, Any], *, shown: bool = False
) -> str:
    """A simplified condition as a FilterExpression: parentheses only around an and/or within another.
    `shown`: with the attribute names and values written in (for `explain`)."""

    def wrapped(part: Condition) -> str:
        text = _render(entity, part, names, values, shown=shown)
        return f"({text})" if isinstance(part, All | AnyOf) else text

    if isinstance(condition, Term):
        text = _render_term(entity, condition, names, values)
        if shown:
            for placeholder in sorted([*names, *values], key=len, reverse=True):
                shown_value = names.get(placeholder) or repr(_plain(values.get(placeholder)))
                text = text.replace(placeholder, shown_value)
        return text
    if isinstance(condition, Not):
        return f"NOT {wrapped(condition.part)}"
    joiner = " AND " if isinstance(condition, All) else " OR "
    return joiner.join(wrapped(part) for part in condition.parts)


def matches(entity: Entity[Any], condition: Condition, item: Item) -> bool:
    """Whether a stored item holds `condition` (as DynamoDB would test it: stored values, a missing attribute
    matching nothing but `exists: false`)."""
    if isinstance(condition, All):
        return all(matches(entity, part, item) for part in condition.parts)
    if isinstance(condition, AnyOf):
        return any(matches(entity, part, item) for part in condition.parts)
    if isinstance(condition, Not):
        return not matches(entity, condition.part, item)
    have = item.get(entity.attribute(condition.field))
    if condition.op == "exists":
        return (have is not None) == bool(condition.value)
    if have is None:
        return False

    def stored(value: Any) -> Any:
        return entity.stored(condition.field, value)

    value = condition.value
    match condition.op:
        case "in":
            return have in [stored(each) for each in value]
        case "between":
            return bool(stored(value[0]) <= have <= stored(value[1]))
        case "beginsWith":
            return isinstance(have, str) and have.startswith(stored(value))
        case "contains":
            return isinstance(have, str) and stored(value) in have
        case "eq":
            return bool(have == stored(value))
        case "ne":
            return bool(have != stored(value))
        case "lt":
            return bool(have < stored(value))
        case "lte":
            return bool(have <= stored(value))
        case "gt":
            return bool(have > stored(value))
        case _:
            return bool(have >= stored(value))


def _plain(value: Any) -> Any:
    return str(value) if not isinstance(value, str | int | bool) else value


# --- Reading ---------------------------------------------------------------------------------------------------

State = Any
"""Where one partition's reading stands: None (not started), "done", or the key to read after."""


@dataclass
class _Stream:
    partition: Any
    state: State
    """Where the next read starts (see State)."""
    resume: State
    """Where a cursor resumes this partition: its state before the items buffered and not yet emitted."""
    buffer: list[Item] = field(default_factory=list)
    """Matches read and not yet emitted, in DynamoDB's order."""
    frontier: Any = None
    """The sort key of the last item examined (every unread item sorts at or after it)."""

    @property
    def done(self) -> bool:
        return isinstance(self.state, str)


@dataclass(frozen=True)
class Read(Generic[T]):
    entries: list[tuple[T, dict[str, Any]]]
    """Each item with the cursor position right after it."""
    has_next: bool
    truncated: bool
    """The read budget ran out before the page was full."""
    end: dict[str, Any]
    """The cursor position where the reading stopped."""
    requests: int


CURSOR_ATTRIBUTES = ("p",)
"""A planner cursor's one attribute: the state of each partition, in the plan's order."""


async def read(
    dynamo: Dynamo,
    plan: Plan[T],
    *,
    first: int,
    after: Mapping[str, Any] | None,
    read_budget: int,
) -> Read[T]:
    """Up to `first` items of the plan in order, from `after` on, within `read_budget` requests."""
    states: list[State] = list(after["p"]) if after is not None else [None] * len(plan.partitions)
    if len(states) != len(plan.partitions):
        raise BadUserInput("after", "invalid cursor: it belongs to another listing")
    if plan.empty:
        return Read([], has_next=False, truncated=False, end={"p": ["done"] * len(states)}, requests=0)
    sort_attribute = plan.listing.keys[1].name if len(plan.listing.keys) > 1 else None
    streams = [
        _Stream(partition, state, state, frontier=_frontier(state, sort_attribute))
        for partition, state in zip(plan.partitions, states, strict=True)
    ]
    limit = FILTERED_SLICE if plan.filtered else first + 1
    entries: list[tuple[T, dict[str, Any]]] = []
    requests = 0
    truncated = False
    while True:
        while len(entries) < first and (next_stream := _next_safe(streams, sort_attribute, plan.forward)) is not None:
            item = next_stream.buffer.pop(0)
            next_stream.resume = _position(plan.listing, item)
            # An edge's cursor holds its own item's position in its partition (the others' where they stand), so
            # it continues the listing either way: forward after it, backward before it.
            cursor = _cursor(streams)
            cursor["p"][streams.index(next_stream)] = next_stream.resume
            entries.append((plan.entity.from_item(item), cursor))
        if len(entries) >= first and (
            _next_safe(streams, sort_attribute, plan.forward) is not None or _all_done(streams)
        ):
            break
        if _all_done(streams):
            break
        # A round reads every partition that holds the merge up, at once; none starts once the budget is spent.
        blocking = [stream for stream in streams if not stream.buffer and not stream.done]
        if requests >= read_budget:
            truncated = len(entries) < first
            break
        responses = await asyncio.gather(*(_read_once(dynamo, plan, stream, limit) for stream in blocking))
        requests += len(responses)
        for stream, response in zip(blocking, responses, strict=True):
            items = [deserialize_item(attributes) for attributes in response.get("Items", [])]
            if plan.local is not None:
                items = [item for item in items if matches(plan.entity, plan.local, item)]
            stream.buffer.extend(items)
            last_key = response.get("LastEvaluatedKey")
            if last_key:
                stream.state = deserialize_item(last_key)
                stream.frontier = _frontier(stream.state, sort_attribute)
            else:
                stream.state = "done"
            if not stream.buffer:
                stream.resume = stream.state
    has_next = not _all_done(streams)
    return Read(entries, has_next, truncated, _cursor(streams), requests)


def backwards(plan: Plan[T]) -> Plan[T]:
    """The same plan read in the other direction (`last`, `before`): one partition only, as the items of several
    merge in one direction's order and a cursor's positions hold for that direction."""
    if len(plan.partitions) > 1:
        raise BadUserInput("last", "reading backwards (last, before) needs one partition: an eq, not an in")
    return dataclasses.replace(plan, forward=not plan.forward)


async def _read_once(dynamo: Dynamo, plan: Plan[Any], stream: _Stream, limit: int) -> dict[str, Any]:
    params = plan.query_params(stream.partition, dynamo.table_prefix, limit)
    if stream.state is not None:
        params["ExclusiveStartKey"] = serialize_item(stream.state)
    response: dict[str, Any] = await dynamo.call("query", **params)
    return response


def _frontier(state: State, sort_attribute: str | None) -> Any:
    return state.get(sort_attribute) if isinstance(state, dict) and sort_attribute else None


def _all_done(streams: list[_Stream]) -> bool:
    return all(stream.done and not stream.buffer for stream in streams)


def _next_safe(streams: list[_Stream], sort_attribute: str | None, forward: bool) -> _Stream | None:
    """The stream whose next buffered item comes next in the merged order, if no unread item can come before it.

    Items are ordered by sort key (in the plan's direction), a tie by the partitions' order; within a partition,
    DynamoDB's own order. A partition with nothing buffered that is not done may still hold an item sorting at
    or after its frontier: an item after that frontier (or at it, from an earlier partition) is safe.
    """
    best: tuple[int, _Stream] | None = None
    for number, stream in enumerate(streams):
        if stream.buffer and (
            best is None or _before(stream.buffer[0], number, best[1].buffer[0], best[0], sort_attribute, forward)
        ):
            best = (number, stream)
    if best is None:
        return None
    number, chosen = best
    head = _sort_value(chosen.buffer[0], sort_attribute)
    for other_number, other in enumerate(streams):
        if other.buffer or other.done:
            continue
        if other.state is None:
            return None  # not read yet: anything may come first
        if sort_attribute is None:
            if other_number < number:
                return None
            continue
        frontier = other.frontier
        if head == frontier:
            if other_number < number:
                return None
        elif (head > frontier) == forward:
            return None
    return chosen


def _before(item: Item, number: int, other: Item, other_number: int, sort_attribute: str | None, forward: bool) -> bool:
    mine, theirs = _sort_value(item, sort_attribute), _sort_value(other, sort_attribute)
    if mine == theirs:
        return number < other_number
    return bool((mine < theirs) == forward)


def _sort_value(item: Item, sort_attribute: str | None) -> Any:
    return None if sort_attribute is None else item.get(sort_attribute)


def _position(listing: Listing[Any], item: Item) -> dict[str, Any]:
    return {name: item[name] for name in listing.position}


def _cursor(streams: list[_Stream]) -> dict[str, Any]:
    return {"p": [stream.resume if stream.buffer else stream.state for stream in streams]}
