"""The estimated cost of a GraphQL document, before execution: DynamoDB requests and items it may read.

Summed over sibling fields (fragments and inline fragments included, directives ignored: a skipped
field may still be prefetched) and multiplied down lists, with each field priced as it really runs:

- a listing (graphql_api.graphql.entities._listed) is one Query per parent object; with a filter after the key condition
  (`Customer.orders(status:)`) up to the read budget (FILTER_READ_BUDGET) Queries per parent;
- a load by key goes through the request's DataLoader, which batches the loads of one tick into one
  BatchGetItem per 100 keys. The objects of a list arrive together, so their loads share a batch; the
  pages of a listing under a list each arrive on their own, so a load below them costs a batch per page:
  the estimate carries the number of such groups down the document;
- a page of orders whose `edges.node.items` is selected loads all its lines (and their products, when
  selected) in one go (entities/order.py `prefetch_lines`): that many batches per page, none per order;
- a mutation costs its uncontended reads and writes (retries after a conflict or throttling, and
  BatchGetItem's retries of unprocessed keys, are not estimated); a subscription is priced per event.

The result is an upper bound of the requests made (checked against the actual counts in
tests/integration/test_request_amplification.py); `items` bounds the DynamoDB items read.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    value_from_ast_untyped,
)

from graphql_api.graphql.pagination import DEFAULT_FIRST, MAX_FIRST
from graphql_api.graphql.price import COST, Kind, Price
from graphql_api.planner import FILTERED_SLICE, MAX_IN
from graphql_api.repositories.order_items import MAX_LINES
from graphql_api.validation import MAX_PRODUCT_IDS

BATCH_KEYS = 100
"""Keys per BatchGetItem request (graphql_api.dynamo.batch_get)."""

DEFINITION = "strawberry-definition"
"""Where Strawberry keeps a graphql-core field's own StrawberryField (its metadata holds the price)."""


@dataclass(frozen=True)
class Priced:
    """How one field of one type runs: what it returns, and its declared price (graphql_api.graphql.price)."""

    returns: str
    kind: Kind
    per_parent: int = 1
    filtered_by: tuple[str, ...] = ()
    spread: bool = False
    count_keys: int = 0


@cache
def prices(schema: GraphQLSchema) -> dict[tuple[str, str], Priced]:
    """Every field that returns an object or declares a price, by (type, field): the declared price, or plain."""
    found = {}
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            returns = get_named_type(field.type)
            declared = _declared(field)
            if declared is not None:
                found[(type_.name, name)] = Priced(
                    returns.name,
                    declared.kind,
                    declared.per_parent,
                    declared.filtered_by,
                    declared.spread,
                    declared.count_keys,
                )
            elif isinstance(returns, GraphQLObjectType):
                found[(type_.name, name)] = Priced(returns.name, "plain")
    return found


def unpriced_fields(schema: GraphQLSchema) -> list[str]:
    """Fields that must declare a price and do not: root fields, and fields with a resolver returning an object
    (a relationship left unpriced would be free to nest)."""
    roots = {root.name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root}
    missing = []
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            definition = (field.extensions or {}).get(DEFINITION)
            resolved = definition is not None and definition.base_resolver is not None
            if _declared(field) is None and (
                type_.name in roots or (resolved and isinstance(get_named_type(field.type), GraphQLObjectType))
            ):
                missing.append(f"{type_.name}.{name}")
    return missing


def _declared(field: GraphQLField) -> Price | None:
    definition = (field.extensions or {}).get(DEFINITION)
    price = None if definition is None else definition.metadata.get(COST)
    return price if isinstance(price, Price) else None


_ROOTS = {OperationType.QUERY: "Query", OperationType.MUTATION: "Mutation", OperationType.SUBSCRIPTION: "Subscription"}


@dataclass(frozen=True)
class Cost:
    requests: int = 0
    """DynamoDB requests the document may cause, at most."""
    items: int = 0
    """DynamoDB items it may read, at most."""

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.requests + other.requests, self.items + other.items)


@dataclass(frozen=True)
class _At:
    """Where the walk is: `objects` of `type_name`, arriving in `groups` separate groups (pages, batches)."""

    type_name: str
    objects: int
    groups: int
    page: int = 0
    """Within a connection: its page size (`first`)."""
    prefetched: frozenset[str] = frozenset()
    """Fields of these objects already loaded for the whole page (their loads cost nothing here)."""
    count_keys: int = 0
    """Within a connection: the keys its totalCount loads (a counter's shards), 0 when it is kept or counted."""


class _Walk:
    def __init__(
        self,
        prices: Mapping[tuple[str, str], Priced],
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: Mapping[str, Any],
        read_budget: int,
    ) -> None:
        self.prices = prices
        self.fragments = fragments
        self.variables = dict(variables)
        self.read_budget = read_budget

    def fields(self, selection_set: SelectionSetNode, seen: frozenset[str] = frozenset()) -> Iterator[FieldNode]:
        """The fields of a selection set, its fragments' included (a fragment cycle is left to validation)."""
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                yield selection
            elif isinstance(selection, InlineFragmentNode):
                yield from self.fields(selection.selection_set, seen)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name in self.fragments and name not in seen:
                    yield from self.fields(self.fragments[name].selection_set, seen | {name})

    def below(self, selection_set: SelectionSetNode | None, *path: str) -> list[FieldNode]:
        """The fields at `path` (names, aliases aside) below a selection set, as `selection.selected` finds them."""
        current = list(self.fields(selection_set)) if selection_set else []
        for name in path:
            current = [
                child
                for field in current
                if field.selection_set is not None
                for child in self.fields(field.selection_set)
                if child.name.value == name
            ]
        return current

    def cost(self, selection_set: SelectionSetNode, at: _At) -> Cost:
        total = Cost()
        counted = False
        for field in self.fields(selection_set):
            if field.name.value == "totalCount" and at.count_keys and not counted:
                # A connection's count read from its counter: one load of its shards per connection (asked once).
                counted = True
                total += Cost(_batches(at.objects, at.groups, at.count_keys), at.objects * at.count_keys)
            priced = self.prices.get((at.type_name, field.name.value))
            if priced is not None:
                total += self.field(field, priced, at)
        return total

    def arguments(self, field: FieldNode) -> dict[str, Any]:
        return {arg.name.value: value_from_ast_untyped(arg.value, self.variables) for arg in field.arguments or ()}

    def field(self, field: FieldNode, priced: Priced, at: _At) -> Cost:
        own, below = self.price(field, priced, at)
        if field.selection_set is None or below.objects == 0:
            return own
        return own + self.cost(field.selection_set, below)

    def price(self, field: FieldNode, priced: Priced, at: _At) -> tuple[Cost, _At]:
        """This field's own cost, and where its selection is."""
        objects, groups = at.objects, at.groups
        if priced.kind == "plain":
            # An edge's node is the page's object: what the page prefetched is its own.
            prefetched = at.prefetched if field.name.value == "node" else frozenset()
            return Cost(), _At(priced.returns, objects * priced.per_parent, groups, prefetched=prefetched)
        if priced.kind == "edges":
            return Cost(), _At(priced.returns, objects * at.page, groups, page=at.page, prefetched=at.prefetched)
        if priced.kind == "write":
            return Cost(priced.per_parent * objects), _At(priced.returns, objects, objects)
        if priced.kind == "query":
            # One Query per parent, reading up to `per_parent` items.
            return Cost(objects, objects * priced.per_parent), _At(priced.returns, objects, objects)
        if priced.kind == "load":
            keys = _product_ids(self.arguments(field)) if field.name.value == "products" else priced.per_parent
            if field.name.value in at.prefetched:
                # Loaded with the page (the lines, and their products when selected): no request here.
                products = frozenset({"product"}) & at.prefetched if field.name.value == "items" else frozenset()
                return Cost(), _At(priced.returns, objects * keys, groups, prefetched=products)
            return Cost(_batches(objects, groups, keys), objects * keys), _At(priced.returns, objects * keys, groups)
        return self.listing(field, priced, at)

    def listing(self, field: FieldNode, priced: Priced, at: _At) -> tuple[Cost, _At]:
        """One Query per parent (up to the read budget with a filter); a page of orders may prefetch its lines."""
        arguments = self.arguments(field)
        first = _first(arguments)
        # A variable not given counts as a filter: the worst case, priced before coercion.
        filtered = any(arguments.get(name) is not None for name in priced.filtered_by)
        # A filter's `in` on a partition key reads one Query per value; a round starts only within the budget.
        partitions = _in_values(arguments.get("filter")) if priced.spread else 1
        reads = self.read_budget + partitions - 1 if filtered else partitions
        per_read = FILTERED_SLICE if filtered else first + 1
        cost = Cost(at.objects * reads, at.objects * reads * per_read)
        prefetched: frozenset[str] = frozenset()
        if priced.returns == "OrderConnection":
            items = self.below(field.selection_set, "edges", "node", "items")
            if items:
                lines = _batches(at.objects, at.objects, first * MAX_LINES)
                cost += Cost(lines, at.objects * first * MAX_LINES)
                prefetched = frozenset({"items"})
                if any(self.below(item.selection_set, "product") for item in items):
                    cost += Cost(lines, at.objects * first * MAX_LINES)
                    prefetched |= {"product"}
        count_keys = 0 if filtered else priced.count_keys  # a filtered listing counts what its page holds
        return cost, _At(
            priced.returns, at.objects, at.objects, page=first, prefetched=prefetched, count_keys=count_keys
        )


def _batches(objects: int, groups: int, keys_per_object: int) -> int:
    """BatchGetItem requests for `keys_per_object` keys of each of `objects` objects arriving in `groups` groups."""
    if objects == 0:
        return 0
    groups = max(1, min(groups, objects))
    per_group = -(-objects // groups)
    return groups * -(-(per_group * keys_per_object) // BATCH_KEYS)


def _in_values(value: Any) -> int:
    """The most values of any `in` in a filter (a variable not given: the most allowed)."""
    if isinstance(value, Mapping):
        found = [len(inner) if isinstance(inner, list) else MAX_IN for inner in [value.get("in")] if "in" in value]
        found += [_in_values(inner) for inner in value.values() if isinstance(inner, Mapping | list)]
        return max([1, *found])
    if isinstance(value, list):
        return max([1, *(_in_values(inner) for inner in value)])
    return 1


def _first(arguments: Mapping[str, Any]) -> int:
    # Omitted, null or unset: the default; out of bounds or of another type is refused before execution.
    first = arguments.get("last", arguments.get("first"))  # a page is `last` items when read backwards
    if isinstance(first, int) and not isinstance(first, bool) and 1 <= first <= MAX_FIRST:
        return first
    return DEFAULT_FIRST


def _product_ids(arguments: Mapping[str, Any]) -> int:
    ids = arguments.get("productIds")
    return min(len(ids), MAX_PRODUCT_IDS) if isinstance(ids, list) else MAX_PRODUCT_IDS


def estimate(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    read_budget: int,
    operation_name: str | None = None,
) -> Cost:
    """The cost of the operation that runs (`operation_name`, else the only one; else the dearest), priced as the
    schema's fields declare."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is not None:
        operations = [o for o in operations if o.name and o.name.value == operation_name] or operations
    costs = []
    for operation in operations:
        # The operation's own defaults for the variables not given.
        defaults = {
            definition.variable.name.value: value_from_ast_untyped(definition.default_value)
            for definition in operation.variable_definitions or ()
            if definition.default_value is not None
        }
        walk = _Walk(prices(schema), fragments, {**defaults, **variables}, read_budget)
        costs.append(walk.cost(operation.selection_set, _At(_ROOTS[operation.operation], 1, 1)))
    return max(costs, key=lambda cost: (cost.requests, cost.items), default=Cost())
