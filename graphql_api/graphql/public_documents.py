"""Whether a document reads public data only (SPEC section 9), decided from the access rules, not from a list.

A query is public when every field it selects is one an anonymous caller may use: a field whose own rule
(`allow(...)`) admits the anonymous role, or a plain field of a `@public` or `@follows_parent` type reached
through such fields (a follows-parent field is visible exactly when its object is, and the object was reached
through fields anyone may use). On an abstract type, the field must be so on every type it may resolve to.
An anonymous caller's answer to such a document is the same for every anonymous caller: it may be shared.
"""

from __future__ import annotations

import functools

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLNamedType,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
    is_abstract_type,
    parse,
)
from graphql.error import GraphQLError
from graphql.utilities import get_operation_ast

from graphql_api.graphql.access import FOLLOWS_PARENT_RULE, PUBLIC_RULE, field_rule

_META_FIELDS = frozenset({"__typename", "__schema", "__type"})  # the schema's shape, the same for everyone


def anonymous_may_read(object_type: GraphQLObjectType, field_name: str) -> bool:
    rule = field_rule(object_type, field_name)
    if rule is None:
        return False
    if rule.startswith("allow "):
        return "anonymous" in rule.removeprefix("allow ").split(", ")
    return rule in (PUBLIC_RULE, FOLLOWS_PARENT_RULE)


class PublicDocuments:
    """Answers, per document text and operation name, whether the operation reads public data only (memoized)."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self.is_public = functools.lru_cache(maxsize=1024)(self._is_public)

    def _is_public(self, text: str, operation_name: str | None) -> bool:
        try:
            document = parse(text)
        except GraphQLError:
            return False
        operation = get_operation_ast(document, operation_name)
        if operation is None or operation.operation is not OperationType.QUERY or self.schema.query_type is None:
            return False
        try:
            return self._selection_is_public(self.schema.query_type, operation.selection_set, _fragments(document))
        except RecursionError:  # fragments spreading each other: the document does not validate either
            return False

    def _selection_is_public(
        self, parent: GraphQLNamedType, selection_set: SelectionSetNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> bool:
        for selection in selection_set.selections:
            condition: str | None
            if isinstance(selection, FieldNode):
                if not self._field_is_public(parent, selection, fragments):
                    return False
                continue
            if isinstance(selection, FragmentSpreadNode):
                fragment = fragments.get(selection.name.value)
                if fragment is None:
                    return False
                condition, inner = fragment.type_condition.name.value, fragment.selection_set
            elif isinstance(selection, InlineFragmentNode):
                named = selection.type_condition
                condition, inner = (named.name.value if named else None), selection.selection_set
            else:
                return False
            narrowed = self.schema.get_type(condition) if condition else parent
            if narrowed is None or not self._selection_is_public(narrowed, inner, fragments):
                return False
        return True

    def _field_is_public(
        self, parent: GraphQLNamedType, node: FieldNode, fragments: dict[str, FragmentDefinitionNode]
    ) -> bool:
        name = node.name.value
        if name in _META_FIELDS:
            return True
        if is_abstract_type(parent):
            candidates = list(self.schema.get_possible_types(parent))
        elif isinstance(parent, GraphQLObjectType):
            candidates = [parent]
        else:
            return False
        candidates = [candidate for candidate in candidates if name in candidate.fields]
        if not candidates:
            return False  # a field the schema does not have: the document does not validate, nothing is shared
        for object_type in candidates:
            if not anonymous_may_read(object_type, name):
                return False
            if node.selection_set is not None:
                result_type = get_named_type(object_type.fields[name].type)
                if not self._selection_is_public(result_type, node.selection_set, fragments):
                    return False
        return True


def _fragments(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    return {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
