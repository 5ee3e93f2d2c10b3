"""The estimated cost of a GraphQL document, before execution: DynamoDB requests and items it may read.

Summed over sibling fields (fragments and inline fragments included, directives ignored: a skipped
field may still be prefetched) and multiplied down lists, with each field priced as it really runs:

- a listing (`paginate`) is one Query per parent object; with a filter after the key condition
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
from typing import Any, Literal

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    value_from_ast_untyped,
)

from graphql_api.entity import FILTERED_SLICE
from graphql_api.graphql.pagination import DEFAULT_FIRST, MAX_FIRST
from graphql_api.repositories import carts
from graphql_api.repositories.customers import MAX_ADDRESSES
from graphql_api.repositories.order_items import MAX_LINES
from graphql_api.validation import MAX_PRODUCT_IDS

BATCH_KEYS = 100
"""Keys per BatchGetItem request (graphql_api.dynamo.batch_get)."""

Kind = Literal["plain", "edges", "load", "listing", "query", "write"]


@dataclass(frozen=True)
class Priced:
    """How one field of one type runs: what it returns, how many per parent, and what that costs."""

    returns: str
    kind: Kind
    per_parent: int = 1
    """Objects per parent (keys per parent for a load; requests per call for a write; items per Query)."""
    filtered_by: tuple[str, ...] = ()
    """Arguments that add a filter after the key condition: the listing then reads up to the read budget."""


def _connection(node: str) -> dict[tuple[str, str], Priced]:
    return {
        (f"{node}Connection", "edges"): Priced(f"{node}Edge", "edges"),
        (f"{node}Connection", "pageInfo"): Priced("PageInfo", "plain"),
        (f"{node}Edge", "node"): Priced(node, "plain"),
    }


# Every field returning an object, and every field that reads DynamoDB (a unit test checks that the schema has
# no other); a field not named here is a leaf that costs nothing.
FIELDS: dict[tuple[str, str], Priced] = {
    ("Query", "me"): Priced("Customer", "load"),
    ("Query", "customer"): Priced("Customer", "load"),
    ("Query", "customerByEmail"): Priced("Customer", "query"),
    ("Query", "order"): Priced("Order", "load"),
    ("Query", "product"): Priced("Product", "load"),
    ("Query", "products"): Priced("Product", "load"),  # per_parent: len(productIds)
    ("Query", "productsByCategory"): Priced("ProductConnection", "listing"),
    ("Query", "ordersByStatus"): Priced("OrderConnection", "listing"),
    ("Customer", "addresses"): Priced("Address", "plain", MAX_ADDRESSES),
    ("Customer", "orders"): Priced("OrderConnection", "listing", filtered_by=("status",)),
    ("Customer", "reviews"): Priced("ReviewConnection", "listing"),
    ("Order", "customer"): Priced("Customer", "load"),
    ("Order", "items"): Priced("OrderItem", "load", MAX_LINES),
    ("OrderItem", "product"): Priced("Product", "load"),
    ("Product", "reviews"): Priced("ReviewConnection", "listing"),
    ("Review", "product"): Priced("Product", "load"),
    ("OrderChange", "order"): Priced("Order", "plain"),
    # A cart is one Query (up to MAX_LINES items); its totals load the lines' products in one batch.
    ("Customer", "cart"): Priced("Cart", "query", carts.MAX_LINES),
    ("Cart", "lines"): Priced("CartLine", "plain", carts.MAX_LINES),
    ("Cart", "subtotal"): Priced("Decimal", "load", carts.MAX_LINES),
    ("CartLine", "product"): Priced("Product", "load"),
    ("CartLine", "lineTotal"): Priced("Decimal", "load"),
    **_connection("Product"),
    **_connection("Order"),
    **_connection("Review"),
    # Mutations: the requests of their ordinary path (a read, the write, a read explaining a refusal).
    ("Mutation", "createCustomer"): Priced("Customer", "write", 2),
    ("Mutation", "updateCustomer"): Priced("Customer", "write", 3),
    ("Mutation", "deleteCustomer"): Priced("Boolean", "write", 5),  # and its cart: a Query, a transaction
    ("Mutation", "createProduct"): Priced("Product", "write", 1),
    ("Mutation", "updateProduct"): Priced("Product", "write", 3),
    ("Mutation", "placeOrder"): Priced("Order", "write", 4),  # from the cart: and its Query
    ("Mutation", "updateOrderStatus"): Priced("Order", "write", 4),
    ("Mutation", "cancelOrder"): Priced("Order", "write", 4),
    ("Mutation", "createReview"): Priced("Review", "write", 2),
    ("Mutation", "deleteReview"): Priced("Boolean", "write", 2),
    ("Mutation", "setCartLine"): Priced("Cart", "write", 2),
    ("Mutation", "clearCart"): Priced("Boolean", "write", 2),
    ("Subscription", "orderChanged"): Priced("Order", "plain"),
    ("Subscription", "ordersChanged"): Priced("OrderChange", "plain"),
    ("Subscription", "productChanged"): Priced("Product", "plain"),
}

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


class _Walk:
    def __init__(
        self, fragments: Mapping[str, FragmentDefinitionNode], variables: Mapping[str, Any], read_budget: int
    ) -> None:
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
        for field in self.fields(selection_set):
            priced = FIELDS.get((at.type_name, field.name.value))
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
        reads = self.read_budget if filtered else 1
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
        return cost, _At(priced.returns, at.objects, at.objects, page=first, prefetched=prefetched)


def _batches(objects: int, groups: int, keys_per_object: int) -> int:
    """BatchGetItem requests for `keys_per_object` keys of each of `objects` objects arriving in `groups` groups."""
    if objects == 0:
        return 0
    groups = max(1, min(groups, objects))
    per_group = -(-objects // groups)
    return groups * -(-(per_group * keys_per_object) // BATCH_KEYS)


def _first(arguments: Mapping[str, Any]) -> int:
    # Omitted, null or unset: the default; out of bounds or of another type is refused before execution.
    first = arguments.get("first")
    if isinstance(first, int) and not isinstance(first, bool) and 1 <= first <= MAX_FIRST:
        return first
    return DEFAULT_FIRST


def _product_ids(arguments: Mapping[str, Any]) -> int:
    ids = arguments.get("productIds")
    return min(len(ids), MAX_PRODUCT_IDS) if isinstance(ids, list) else MAX_PRODUCT_IDS


def estimate(
    document: DocumentNode, variables: Mapping[str, Any], read_budget: int, operation_name: str | None = None
) -> Cost:
    """The cost of the operation that runs (`operation_name`, else the only one; else the dearest)."""
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
        walk = _Walk(fragments, {**defaults, **variables}, read_budget)
        costs.append(walk.cost(operation.selection_set, _At(_ROOTS[operation.operation], 1, 1)))
    return max(costs, key=lambda cost: (cost.requests, cost.items), default=Cost())
