"""Query limits, all checked before any resolver runs, so a rejected query costs no DynamoDB call.

Depth and aliases use Strawberry's own validation rules (QueryDepthLimiter, MaxAliasesLimiter), their
reports turned into QueryTooComplex where they are made; this module adds what they lack: the
document size, the number of root fields, the estimated item budget (`first` times list sizes along
the widest path), the estimated DynamoDB requests of the whole document (graphql_api.graphql.cost), and
the bounds on `first` and on `productIds`, which must be known before the first load of a nested
connection. The estimate is noted in the request's scope, for its answer, log line and rate limit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    TypeInfo,
    ValidationContext,
    ValidationRule,
    value_from_ast_untyped,
)
from strawberry.extensions import (
    AddValidationRules,
    MaxAliasesLimiter,
    ParserCache,
    QueryDepthLimiter,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.query_depth_limiter import IgnoreContext

from graphql_api.errors import BadUserInput, QueryTooComplex
from graphql_api.graphql.cost import Cost, estimate
from graphql_api.graphql.pagination import DEFAULT_FIRST, MAX_FIRST
from graphql_api.repositories.customers import MAX_ADDRESSES
from graphql_api.repositories.order_items import MAX_LINES
from graphql_api.request_scope import scope_if_any
from graphql_api.settings import Settings
from graphql_api.validation import MAX_PRODUCT_IDS

# List fields whose size the query does not state: their maximum.
_LIST_SIZES = {"items": MAX_LINES, "addresses": MAX_ADDRESSES}


def _skip_introspection(ignore: IgnoreContext) -> bool:
    return ignore.field_name.startswith("__")


def reporting_too_complex(rules: list[type[ASTValidationRule]], limit: str, allowed: int) -> type[ValidationRule]:
    """Strawberry's limiter `rules`, each error they report carrying QueryTooComplex (the message kept).

    The limiters do all their work when constructed, reporting through the context they are given:
    they are given one whose reports become ours.
    """

    class TooComplex(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)

            def report(error: GraphQLError) -> None:
                too_complex = QueryTooComplex(error.message, limit, allowed)
                context.report_error(GraphQLError(error.message, error.nodes, original_error=too_complex))

            limited = ValidationContext(context.schema, context.document, TypeInfo(context.schema), report)
            for rule in rules:
                rule(limited)

    return TooComplex


def limit_extensions(settings: Settings) -> list[Callable[[], SchemaExtension]]:
    """The limits, and caches so that the same document is parsed and validated once, not per request.

    Strawberry's limiters make a new validation-rule class per instance, which would make every
    validation a cache miss: they are built once for the process and their rules reused. ShapeLimits
    still runs on every request (it depends on the variables).
    """
    depth = QueryDepthLimiter(max_depth=settings.graphql_max_depth, should_ignore=_skip_introspection)
    aliases = MaxAliasesLimiter(max_alias_count=settings.graphql_max_aliases)
    rules: list[type[ASTValidationRule]] = [
        reporting_too_complex(depth.validation_rules, "depth", settings.graphql_max_depth),
        reporting_too_complex(aliases.validation_rules, "aliases", settings.graphql_max_aliases),
    ]
    return [
        lambda: AddValidationRules(rules),
        lambda: ShapeLimits(settings),
        lambda: ParserCache(maxsize=256),
        lambda: ValidationCache(maxsize=256),
    ]


class ShapeLimits(SchemaExtension):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    def on_operation(self) -> Iterator[None]:
        size = len((self.execution_context.query or "").encode())
        limit = self.settings.graphql_max_document_bytes
        if size > limit:
            raise QueryTooComplex(f"the query document is {size} bytes; the limit is {limit}", "documentBytes", limit)
        yield

    def on_validate(self) -> Iterator[None]:
        document = self.execution_context.graphql_document
        if document is not None:
            operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
            # Strawberry falls back to the first operation; the GraphQL spec asks for the name.
            provided = getattr(self.execution_context, "_provided_operation_name", None)
            if len(operations) > 1 and not provided:
                raise BadUserInput("operationName", "required when the document holds several operations")
            schema = self.execution_context.schema._schema
            cost = check_shape(schema, document, self.execution_context.variables or {}, self.settings, provided)
            note_estimate(cost)
        yield


def note_estimate(cost: Cost) -> None:
    scope = scope_if_any()
    if scope is not None:
        scope.add_estimate(cost.requests, cost.items)


def check_shape(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any],
    settings: Settings,
    operation_name: str | None = None,
) -> Cost:
    """Refuses a document over a limit; its estimated cost otherwise."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        roots = _count_root_fields(operation.selection_set, fragments, set())
        if roots > settings.graphql_max_root_fields:
            limit = settings.graphql_max_root_fields
            raise QueryTooComplex(f"the operation has {roots} root fields; the limit is {limit}", "rootFields", limit)
        items = _estimate(operation.selection_set, fragments, variables, frozenset())
        if items > settings.graphql_max_estimated_items:
            limit = settings.graphql_max_estimated_items
            raise QueryTooComplex(
                f"the query may return about {items} objects (first times list sizes along its widest path); "
                f"the limit is {limit}: ask for smaller pages",
                "estimatedItems",
                limit,
            )
    cost = estimate(schema, document, variables, settings.filter_read_budget, operation_name)
    if cost.requests > settings.graphql_max_requests:
        limit = settings.graphql_max_requests
        raise QueryTooComplex(
            f"the query may cause about {cost.requests} DynamoDB requests (a listing under a list is one per "
            f"parent object, summed over sibling fields); the limit is {limit}: select fewer nested listings",
            "requests",
            limit,
        )
    return cost


def _count_root_fields(
    selection_set: SelectionSetNode, fragments: Mapping[str, FragmentDefinitionNode], seen: set[str]
) -> int:
    count = 0
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            count += 0 if selection.name.value.startswith("__") else 1
        elif isinstance(selection, InlineFragmentNode):
            count += _count_root_fields(selection.selection_set, fragments, seen)
        elif isinstance(selection, FragmentSpreadNode) and selection.name.value in fragments:
            name = selection.name.value
            if name not in seen:
                seen.add(name)
                count += _count_root_fields(fragments[name].selection_set, fragments, seen)
    return count


def _estimate(
    selection_set: SelectionSetNode,
    fragments: Mapping[str, FragmentDefinitionNode],
    variables: Mapping[str, Any],
    seen: frozenset[str],
) -> int:
    """The most objects any path below this selection set may return (1 for a scalar leaf)."""
    widest = 1
    for selection in selection_set.selections:
        if isinstance(selection, FieldNode):
            below = _estimate(selection.selection_set, fragments, variables, seen) if selection.selection_set else 1
            widest = max(widest, _multiplier(selection, variables) * below)
        elif isinstance(selection, InlineFragmentNode):
            widest = max(widest, _estimate(selection.selection_set, fragments, variables, seen))
        elif isinstance(selection, FragmentSpreadNode):
            name = selection.name.value
            if name in fragments and name not in seen:  # a cycle is left to validation to reject
                widest = max(widest, _estimate(fragments[name].selection_set, fragments, variables, seen | {name}))
    return widest


def _multiplier(field: FieldNode, variables: Mapping[str, Any]) -> int:
    """How many objects this field may return per parent object; checks `first` and `productIds`."""
    arguments = {arg.name.value: value_from_ast_untyped(arg.value, dict(variables)) for arg in field.arguments or ()}
    if "first" in arguments:
        first = arguments["first"]
        if first is None:
            return DEFAULT_FIRST
        if isinstance(first, int) and not isinstance(first, bool):
            if not 1 <= first <= MAX_FIRST:
                raise BadUserInput("first", f"must be between 1 and {MAX_FIRST}, got {first}")
            return first
        return DEFAULT_FIRST  # a value of the wrong type: variable coercion will reject it
    if "productIds" in arguments and isinstance(arguments["productIds"], list):
        count = len(arguments["productIds"])
        if count > MAX_PRODUCT_IDS:
            raise BadUserInput("productIds", f"at most {MAX_PRODUCT_IDS} ids, got {count}")
        return max(count, 1)
    return _LIST_SIZES.get(field.name.value, 1)
