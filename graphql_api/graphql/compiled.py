"""Compiled plans: a known query document runs without Strawberry's per-request machinery.

The generic path (Strawberry's `Schema.execute`) does, per request: instantiate every schema
extension, run their hooks around parsing (cached), validation (cached) and execution, then hand
the document to graphql-core, which collects the selected fields of every object it completes and
calls a resolver for every field. For a document the service has already validated, most of that is
the same work every time. A plan is that work done once:

- the document is parsed once, and its validation is known to pass: a plan is made only after the
  generic path has run the document once without a request error (the rules are the schema's, and
  depend on the document alone), so a trusted document is compiled on its first use, any other on
  its first successful one ("hot"); plans live in a bounded LRU, like the parser cache;
- the fields selected on each type (graphql-core's `collect_fields`) are collected on the first run
  and reused: the document has no directive, so they cannot depend on the variables;
- a plain field (no resolver, no field extension: Strawberry's "basic" field, an attribute read)
  whose type is a scalar or an enum is read and coerced directly, without building a resolve info
  or calling Strawberry's wrapper.

Everything else is graphql-core's own executor, unchanged: variable coercion, argument values,
every resolver with its access rule (SPEC 9), completion, error location and null propagation, and
the service's error processing. What the extensions did is done here: the per-request shape limits
and request budget (`check_shape`, its estimate noted in the request's scope), the operation's name
for the request's log line. Whatever a plan does not support falls back to the generic path:
mutations and subscriptions, documents with directives, anything failing before execution (the
generic path then gives the same error). tests/integration/test_compiled_plans.py runs every query
of the test suite and thousands of generated ones both ways and compares the answers byte for
byte, on both backends.
"""

from __future__ import annotations

import json
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from graphql import (
    DirectiveNode,
    DocumentNode,
    ExecutionResult,
    GraphQLError,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLResolveInfo,
    OperationDefinitionNode,
    OperationType,
    Visitor,
    execute,
    is_leaf_type,
    is_non_null_type,
    parse,
    visit,
)
from graphql.execution.executor import Executor
from graphql.pyutils import Path, Undefined, gather_with_cancel

from graphql_api.graphql.compiled_fields import LEAF, OBJECT, Direct, coerced_leaf, direct_fields
from graphql_api.graphql.cost import Cost
from graphql_api.graphql.errors import is_request_error
from graphql_api.graphql.limits import check_shape, note_estimate
from graphql_api.request_scope import scope_if_any
from graphql_api.settings import Settings

if TYPE_CHECKING:
    from graphql_api.graphql.schema import Schema

MakeInfo = Callable[[], "GraphQLResolveInfo[Any]"]
"""Builds a field's resolve info when something asks for one (and only once)."""

MAX_PLANS = 256
MAX_COSTS = 64
"""Costs kept per plan (distinct variables, the oldest dropped first)."""
MAX_FIELD_SETS = 1024


@dataclass(frozen=True)
class _Basic:
    """A plain scalar or enum field: the attribute it reads, and its GraphQL type."""

    python_name: str
    return_type: GraphQLOutputType
    non_null: bool
    named_type: Any
    """The scalar or enum type itself (GraphQLLeafType), which coerces the value."""


@dataclass
class Plan:
    document: DocumentNode
    operation_name: str
    """The operation's name as the generic path reports it (the log line's `operations`)."""
    basic: dict[tuple[str, str], _Basic]
    direct: dict[tuple[str, str], Direct]
    """The fields completed without graphql-core's per-field machinery (graphql_api.graphql.compiled_fields)."""
    root_fields: Any = None
    """The root's grouped field set, kept from the first run (graphql-core's collect_fields)."""
    subfields: dict[tuple[str, int], Any] = field(default_factory=dict)
    """Collected subfields by (type, id of the field list they are collected from): kept across runs."""
    runs: int = 0
    costs: OrderedDict[str, Cost] = field(default_factory=OrderedDict)
    """check_shape's cost by the variables' JSON: it depends on the document and the variables alone."""
    leaves: dict[int, tuple[Any, dict[str, _Basic]]] = field(default_factory=dict)
    """The plain leaf fields of each grouped field set, by response name (kept with the set, by its id)."""

    def leaves_of(self, parent_type: GraphQLObjectType, grouped_field_set: Any) -> dict[str, _Basic]:
        kept = self.leaves.get(id(grouped_field_set))
        if kept is None:
            found = {}
            for response_name, field_details_list in grouped_field_set.items():
                basic = self.basic.get((parent_type.name, field_details_list[0].node.name.value))
                if basic is not None:
                    found[response_name] = basic
            kept = (grouped_field_set, found)
            if len(self.leaves) > MAX_FIELD_SETS:
                self.leaves.clear()  # field sets are kept by the plan, so this only trips on an unforeseen shape
            self.leaves[id(grouped_field_set)] = kept
        return kept[1]


class PlanExecutor(Executor[Any]):
    """graphql-core's executor, reusing a plan's collected fields and reading its plain leaf fields directly."""

    def __init__(self, *args: Any, plan: Plan, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.plan = plan

    def execute_collected_root_fields(
        self, root_type: GraphQLObjectType, root_value: Any, grouped_field_set: Any, serially: bool, usages: Any
    ) -> Any:
        plan = self.plan
        if plan.root_fields is None:
            plan.root_fields = grouped_field_set
        return super().execute_collected_root_fields(root_type, root_value, plan.root_fields, serially, usages)

    def collect_subfields(self, return_type: GraphQLObjectType, field_details_list: Any) -> Any:
        key = (return_type.name, id(field_details_list))
        cached = self.plan.subfields.get(key)
        if cached is None:
            cached = (field_details_list, super().collect_subfields(return_type, field_details_list))
            self.plan.subfields[key] = cached  # keeps the list alive, so its id is not reused
        return cached[1]

    def execute_fields(
        self,
        parent_type: GraphQLObjectType,
        source_value: Any,
        path: Path | None,
        grouped_field_set: Any,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_fields, with the plain leaf fields read in a tight loop: no Path, no call per field.

        A plain field that reads anything irregular (an exception, a null where the type forbids it, a value its
        type cannot coerce) is executed by graphql-core's execute_field instead (Strawberry's resolver of a basic
        field reads the same attribute), which gives the exact error.
        """
        leaves = self.plan.leaves_of(parent_type, grouped_field_set)
        if not leaves:
            return super().execute_fields(parent_type, source_value, path, grouped_field_set, position_context)
        results: dict[str, Any] = {}
        is_awaitable = self.is_awaitable
        awaitable_fields: list[str] = []
        try:
            for response_name, field_details_list in grouped_field_set.items():
                leaf = leaves.get(response_name)
                if leaf is not None:
                    value = _read_leaf(leaf, source_value)
                    if value is not _IRREGULAR:
                        results[response_name] = value
                        continue
                result = self.execute_field(
                    parent_type,
                    source_value,
                    field_details_list,
                    Path(path, response_name, parent_type.name),
                    position_context,
                )
                if result is not Undefined:
                    results[response_name] = result
                    if is_awaitable(result):
                        awaitable_fields.append(response_name)
        except Exception:
            self.settle_in_background([results[field] for field in awaitable_fields])  # those started: none left behind
            raise
        return _settled_in_place(results, awaitable_fields) if awaitable_fields else results

    def execute_field(
        self,
        parent_type: GraphQLObjectType,
        source: Any,
        field_details_list: Any,
        path: Path,
        position_context: Any,
    ) -> Any:
        """graphql-core's execute_field, but a direct field (compiled_fields) is resolved and completed here.

        No resolve info unless the resolver or a type check asks for one, no Strawberry wrapper, and objects and
        lists of objects completed without `complete_value`'s dispatch. Anything irregular (a null, an error, a
        value of the wrong type, an awaitable list item) is completed by graphql-core's own `complete_value`, which
        gives the exact error, path and null propagation; the error handling around it is execute_field's.
        """
        direct = self.plan.direct.get((parent_type.name, field_details_list[0].node.name.value))
        if direct is None:
            return super().execute_field(parent_type, source, field_details_list, path, position_context)
        infos: list[GraphQLResolveInfo[Any]] = []

        def info() -> GraphQLResolveInfo[Any]:
            if not infos:
                nodes = [details.node for details in field_details_list]
                infos.append(self.build_resolve_info(direct.field_def, nodes, parent_type, path))
            return infos[0]

        return_type = direct.field_def.type
        try:
            result = getattr(source, direct.attribute or "") if direct.call is None else direct.call(source, info)
            if self.is_awaitable(result):
                return self._complete_awaited(direct, field_details_list, info, path, result)
            completed = self._complete(direct, field_details_list, info, path, result)
            if self.is_awaitable(completed):
                return self._settled(completed, return_type, field_details_list, path)
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None
        return completed

    async def _settled(
        self, completed: Any, return_type: GraphQLOutputType, field_details_list: Any, path: Path
    ) -> Any:
        try:
            return await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, return_type, field_details_list, path)
            return None

    async def _complete_awaited(
        self, direct: Direct, field_details_list: Any, info: MakeInfo, path: Path, result: Any
    ) -> Any:
        """graphql-core's complete_awaitable_value, for a direct field."""
        try:
            resolved = await self.with_abort_signal(result)
            completed = self._complete(direct, field_details_list, info, path, resolved)
            if self.is_awaitable(completed):
                completed = await completed
        except Exception as raw_error:
            self.handle_field_error(raw_error, direct.field_def.type, field_details_list, path)
            completed = None
        return completed

    def _complete(self, direct: Direct, field_details_list: Any, info: MakeInfo, path: Path, result: Any) -> Any:
        """A direct field's value completed: the regular cases here, the rest by graphql-core's complete_value."""
        if isinstance(result, Exception):
            raise result
        if result is not None and result is not Undefined:
            if direct.shape == LEAF:
                value = coerced_leaf(direct.named_type, result)
                if value is not None and value is not Undefined:
                    return value
            elif direct.shape == OBJECT:
                if self._is_type(direct.named_type, result, info):
                    grouped_field_set = self.collect_subfields(direct.named_type, field_details_list)[0]
                    return self.execute_fields(direct.named_type, result, path, grouped_field_set, None)
            elif type(result) in (list, tuple) and self._regular_items(direct.named_type, result, info):
                return self._complete_items(direct, field_details_list, path, result)
        return self.complete_value(direct.field_def.type, field_details_list, info(), path, result, None)

    def _is_type(self, object_type: GraphQLObjectType, value: Any, info: MakeInfo) -> bool:
        """Whether the object type's own check passes at once (an awaitable or a refusal: graphql-core's to say)."""
        return object_type.is_type_of is None or object_type.is_type_of(value, info()) is True

    def _regular_items(
        self, object_type: GraphQLObjectType, items: list[Any] | tuple[Any, ...], info: MakeInfo
    ) -> bool:
        is_awaitable = self.is_awaitable
        for item in items:
            if item is None or isinstance(item, Exception) or is_awaitable(item):
                return False
            if not self._is_type(object_type, item, info):
                return False
        return True

    def _complete_items(
        self, direct: Direct, field_details_list: Any, path: Path, items: list[Any] | tuple[Any, ...]
    ) -> Any:
        """graphql-core's complete_iterable_value for a list of objects, none null, none awaitable (no @stream)."""
        object_type: GraphQLObjectType = direct.named_type
        item_type: GraphQLOutputType = GraphQLNonNull(object_type) if direct.item_non_null else object_type
        grouped_field_set = self.collect_subfields(object_type, field_details_list)[0]
        is_awaitable = self.is_awaitable
        completed: list[Any] = []
        awaitable_indices: list[int] = []
        try:
            for index, item in enumerate(items):
                item_path = path.add_key(index, None)
                try:
                    value = self.execute_fields(object_type, item, item_path, grouped_field_set, None)
                    if is_awaitable(value):
                        value = self._settled(value, item_type, field_details_list, item_path)
                        awaitable_indices.append(index)
                except Exception as raw_error:
                    self.handle_field_error(raw_error, item_type, field_details_list, item_path)
                    value = None
                completed.append(value)
        except Exception:
            self.settle_in_background([completed[index] for index in awaitable_indices])
            raise
        return _settled_in_place(completed, awaitable_indices) if awaitable_indices else completed


async def _settled_in_place(container: Any, keys: list[Any]) -> Any:
    """`container` (a dict of field results, or a list of completed items) once its awaitables at `keys` settled."""
    if len(keys) == 1:
        container[keys[0]] = await container[keys[0]]
    else:
        awaited = await gather_with_cancel(*(container[key] for key in keys))
        for key, value in zip(keys, awaited, strict=True):
            container[key] = value
    return container


_IRREGULAR = object()


def _read_leaf(leaf: _Basic, source: Any) -> Any:
    """The coerced value of a plain leaf field, or _IRREGULAR when graphql-core must say what went wrong."""
    try:
        value = getattr(source, leaf.python_name)
        if value is None:
            return _IRREGULAR if leaf.non_null else None
        coerced = leaf.named_type.coerce_output_value(value)
    except Exception:
        return _IRREGULAR
    return _IRREGULAR if coerced is None or coerced is Undefined else coerced


def basic_leaf_fields(schema: Schema) -> dict[tuple[str, str], _Basic]:
    """Every plain field of the schema whose type is a scalar or an enum (nullable or not)."""
    basic = {}
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, graphql_field in type_.fields.items():
            resolve = graphql_field.resolve
            definition = graphql_field.extensions.get("strawberry-definition")
            return_type = graphql_field.type
            inner = return_type.of_type if is_non_null_type(return_type) else return_type
            if (
                getattr(resolve, "_is_default", False)
                and definition is not None
                and definition.default_resolver is getattr
                and is_leaf_type(inner)
            ):
                basic[(type_.name, name)] = _Basic(definition.python_name, return_type, inner is not return_type, inner)
    return basic


def _has_directive(document: DocumentNode) -> bool:
    found = False

    class FindDirective(Visitor):
        def enter_directive(self, node: DirectiveNode, *_: Any) -> None:
            nonlocal found
            found = True

    visit(document, FindDirective())
    return found


def _query_operation(document: DocumentNode, operation_name: str | None) -> OperationDefinitionNode | None:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if operation_name is None:
        chosen = operations[0] if len(operations) == 1 else None
    else:
        chosen = next((o for o in operations if o.name and o.name.value == operation_name), None)
    return chosen if chosen is not None and chosen.operation == OperationType.QUERY else None


class Plans:
    """The plans of one schema: made from documents the generic path ran, used for the next requests."""

    def __init__(self, schema: Schema, settings: Settings) -> None:
        self.schema = schema
        self.settings = settings
        self.enabled = settings.graphql_compiled_plans
        self._basic = basic_leaf_fields(schema) if self.enabled else {}
        self._direct = direct_fields(schema) if self.enabled else {}
        self._plans: OrderedDict[tuple[str, str | None], Plan] = OrderedDict()
        self._refused: OrderedDict[tuple[str, str | None], None] = OrderedDict()
        """Documents a plan cannot run (mutations, subscriptions, directives), so as not to parse them again."""

    def get(self, query: str | None, operation_name: str | None) -> Plan | None:
        if not self.enabled or query is None:
            return None
        key = (query, operation_name)
        plan = self._plans.get(key)
        if plan is not None:
            self._plans.move_to_end(key)
        return plan

    def learn(self, query: str | None, operation_name: str | None, result: Any) -> None:
        """After the generic path ran a document: make its plan when it validated and a plan can run it."""
        if not self.enabled or query is None or (query, operation_name) in self._refused:
            return
        if is_request_error(result.data, result.errors):
            return  # a request error (not parsed, not valid, variables): nothing known about the document
        key = (query, operation_name)
        document = parse(query)
        operation = _query_operation(document, operation_name)
        if operation is None or _has_directive(document):
            self._refused[key] = None  # mutations, subscriptions, directives: the generic path's
            if len(self._refused) > MAX_PLANS * 4:
                self._refused.popitem(last=False)
            return
        name = operation_name or (operation.name.value if operation.name else None) or "anonymous"
        self._plans[key] = Plan(document, name, self._basic, self._direct)
        if len(self._plans) > MAX_PLANS:
            self._plans.popitem(last=False)

    def _checked_shape(self, plan: Plan, variables: dict[str, Any], operation_name: str | None) -> Cost:
        """check_shape, once per distinct variables (150 us for the canonical query, every request otherwise)."""
        try:
            key = json.dumps(variables, sort_keys=True, separators=(",", ":"))
        except (TypeError, ValueError):
            return check_shape(self.schema._schema, plan.document, variables, self.settings, operation_name)
        cost = plan.costs.get(key)
        if cost is None:
            cost = check_shape(self.schema._schema, plan.document, variables, self.settings, operation_name)
            plan.costs[key] = cost  # a refusal raised above: only what passed is kept
            if len(plan.costs) > MAX_COSTS:
                plan.costs.popitem(last=False)
        return cost

    @property
    def count(self) -> int:
        return len(self._plans)

    async def run(
        self,
        plan: Plan,
        variable_values: dict[str, Any] | None,
        context_value: Any,
        root_value: Any,
        operation_name: str | None,
        process_errors: Callable[[list[GraphQLError]], None],
    ) -> ExecutionResult | None:
        """The plan's answer, or None when it cannot give one (the generic path then answers)."""
        try:
            # The same limits and request budget as the generic path; a refusal is the generic path's to answer.
            cost = self._checked_shape(plan, variable_values or {}, operation_name)
        except Exception:
            return None
        result = execute(  # graphql-core's, in its order: schema, document, root, context, variables, operation
            self.schema._schema,
            plan.document,
            root_value,
            context_value,
            variable_values,
            operation_name,
            executor_class=PlanExecutor,
            plan=plan,
        )
        if not isinstance(result, ExecutionResult):
            result = await result
        if is_request_error(result.data, result.errors):
            return None  # variables that do not coerce: the generic path answers (and processes) the same
        note_estimate(cost)  # here, not above: the generic path notes its own when it answers instead
        plan.runs += 1
        if result.errors:
            process_errors(result.errors)
        scope = scope_if_any()
        if scope is not None:
            scope.graphql_operations.append(plan.operation_name)
        return result
