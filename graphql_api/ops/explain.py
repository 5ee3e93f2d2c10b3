"""`graphql-api explain '<query>'`: what the planner would do for each listing a document asks, without reading.

For every field of the document that lists (a `listX` root field, a connection under its parent), the index, the
key condition, the filter expression, what is tested on the items, and the worst-case reads of one page; a
filter no index serves is the refusal the API would answer. Nothing is read from DynamoDB: a connection under
its parent shows the parent's key as a placeholder.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    FieldNode,
    GraphQLSchema,
    OperationDefinitionNode,
    TypeInfo,
    TypeInfoVisitor,
    Visitor,
    get_argument_values,
    parse,
    validate,
    visit,
)
from graphql.execution.values import VariableValues, get_variable_values

from graphql_api.errors import ApiError
from graphql_api.graphql.filters import EXPLAIN

DEFINITION = "strawberry-definition"


@dataclass(frozen=True)
class Explained:
    path: str
    """Where the field is in the document (aliases as written)."""
    plan: dict[str, Any] | None
    """The plan (graphql_api.planner.Plan.describe), or None when refused."""
    refusal: str | None = None


class _Listings(Visitor):
    def __init__(self, type_info: TypeInfo, variables: VariableValues | None, read_budget: int) -> None:
        super().__init__()
        self.type_info = type_info
        self.variables = variables
        self.read_budget = read_budget
        self.path: list[str] = []
        self.found: list[Explained] = []

    def enter_field(self, node: FieldNode, *_: Any) -> None:
        self.path.append(node.alias.value if node.alias else node.name.value)
        definition = self.type_info.get_field_def()
        strawberry_field = None if definition is None else (definition.extensions or {}).get(DEFINITION)
        how = None if strawberry_field is None else strawberry_field.metadata.get(EXPLAIN)
        if definition is None or how is None:
            return
        where = ".".join(self.path)
        try:
            arguments = get_argument_values(definition, node, self.variables)
            self.found.append(Explained(where, how(arguments).describe(self.read_budget)))
        except ApiError as refused:
            self.found.append(Explained(where, None, refused.entry()["message"]))

    def leave_field(self, *_: Any) -> None:
        self.path.pop()


def explain(schema: GraphQLSchema, query: str, variables: Mapping[str, Any], read_budget: int) -> list[Explained]:
    """The plan of every listing field of `query` (ValueError naming the problem when it is not valid)."""
    document = parse(query)
    errors = validate(schema, document)
    if errors:
        raise ValueError("; ".join(error.message for error in errors))
    found: list[Explained] = []
    for operation in document.definitions:
        if not isinstance(operation, OperationDefinitionNode):
            continue
        coerced = get_variable_values(schema, operation.variable_definitions or (), dict(variables))
        if isinstance(coerced, list):
            raise ValueError("; ".join(error.message for error in coerced))
        type_info = TypeInfo(schema)
        listings = _Listings(type_info, coerced, read_budget)
        visit(operation, TypeInfoVisitor(type_info, listings))
        found += listings.found
    return found


def lines(found: list[Explained]) -> Iterator[str]:
    """What the command prints: one block per listing field."""
    if not found:
        yield "no listing in this document (fields by key are loaded in batches: nothing to plan)"
    for each in found:
        yield each.path
        if each.plan is None:
            yield f"  refused: {each.refusal}"
            continue
        for name in ("table", "index", "pattern", "queries", "keyCondition", "filterExpression", "testedOnItems"):
            yield f"  {name}: {each.plan[name]}"
        yield f"  names: {each.plan['expressionAttributeNames']}"
        yield f"  values: {each.plan['expressionAttributeValues']}"
        yield f"  worst-case reads per page: {each.plan['worstCaseReads']}"
