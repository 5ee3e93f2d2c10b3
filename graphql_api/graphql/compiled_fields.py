"""The fields a compiled plan completes itself: plain object fields and resolvers Strawberry's wrapper adds nothing to.

graphql-core calls, for every field, Strawberry's resolver wrapper (a Strawberry `Info`, the arguments converted,
the field extensions chained), then completes the value through `complete_value`, which dispatches on the type
again for every list item. For two kinds of field none of that carries information the plan does not already
hold:

- a plain field (no resolver, no field extension) whose type is an object or a list of objects: an attribute read;
- a field whose resolver takes no GraphQL argument and has no field extension (so no access rule of its own:
  SPEC 9 rules are `Allow` extensions, which keep the wrapper) and no exception handler: the resolver's own
  function is called with the source as `self`/`root`/`parent` and, only when it asks for one, an `Info`.

`direct_fields` lists them, once per schema, with the shape their completion takes (compiled.PlanExecutor).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from graphql import (
    GraphQLField,
    GraphQLLeafType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    is_leaf_type,
)

if TYPE_CHECKING:
    from graphql_api.graphql.schema import Schema

OBJECT, LIST, LEAF = "object", "list", "leaf"


@dataclass(frozen=True)
class Direct:
    """How a plan resolves and completes one field without graphql-core's per-field machinery."""

    field_def: GraphQLField
    shape: str
    """OBJECT (an object, nullable or not), LIST (a list of objects) or LEAF (a scalar or enum a resolver gives)."""
    named_type: Any
    """The object type (OBJECT, LIST) or the leaf type (LEAF)."""
    non_null: bool
    item_non_null: bool
    attribute: str | None
    """The attribute a plain field reads (None: the field has a resolver, `call`)."""
    call: Callable[[Any, Callable[[], Any] | None], Any] | None
    """The resolver's own function, given the source and, when it asks for an Info, a way to make one."""
    needs_info: bool


def _unwrap(type_: GraphQLOutputType) -> tuple[GraphQLOutputType, bool]:
    return (type_.of_type, True) if isinstance(type_, GraphQLNonNull) else (type_, False)


def _shape(return_type: GraphQLOutputType) -> tuple[str, Any, bool, bool] | None:
    inner, non_null = _unwrap(return_type)
    if isinstance(inner, GraphQLObjectType):
        return OBJECT, inner, non_null, False
    if isinstance(inner, GraphQLList):
        item, item_non_null = _unwrap(inner.of_type)
        if isinstance(item, GraphQLObjectType):
            return LIST, item, non_null, item_non_null
        return None
    if is_leaf_type(inner):
        return LEAF, inner, non_null, False
    return None  # interfaces and unions: graphql-core resolves their runtime type


def _caller(definition: Any, info_class: Any) -> tuple[Callable[[Any, Callable[[], Any] | None], Any], bool] | None:
    """The resolver's function called as Strawberry's get_arguments would, or None if it takes anything else."""
    resolver = definition.base_resolver
    function = resolver.wrapped_func
    if not callable(function) or resolver.arguments:
        return None
    as_self = resolver.self_parameter is not None
    source_names = [p.name for p in (resolver.root_parameter, resolver.parent_parameter) if p is not None]
    info_name = resolver.info_parameter.name if resolver.info_parameter is not None else None

    def call(source: Any, make_info: Callable[[], Any] | None) -> Any:
        kwargs = dict.fromkeys(source_names, source)
        if info_name is not None and make_info is not None:
            kwargs[info_name] = info_class(_raw_info=make_info(), _field=definition)
        return function(source, **kwargs) if as_self else function(**kwargs)

    return call, info_name is not None


def direct_fields(schema: Schema) -> dict[tuple[str, str], Direct]:
    """Every field of the schema's object types a plan completes itself (see the module's docstring)."""
    converter = schema.schema_converter
    info_class = schema.config.info_class
    found: dict[tuple[str, str], Direct] = {}
    for type_ in schema._schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, graphql_field in type_.fields.items():
            definition = graphql_field.extensions.get("strawberry-definition")
            shape = _shape(graphql_field.type)
            if definition is None or shape is None or definition.extensions or graphql_field.args:
                continue
            if converter._get_field_exception_handlers(definition):
                continue
            kind, named, non_null, item_non_null = shape
            if getattr(graphql_field.resolve, "_is_default", False):
                if kind == LEAF or definition.default_resolver is not getattr:
                    continue  # plain leaves are compiled._Basic's, read in the field loop itself
                found[(type_.name, name)] = Direct(
                    graphql_field, kind, named, non_null, item_non_null, definition.python_name, None, False
                )
            elif definition.base_resolver is not None and not definition.is_subscription:
                caller = _caller(definition, info_class)
                if caller is not None:
                    found[(type_.name, name)] = Direct(
                        graphql_field, kind, named, non_null, item_non_null, None, caller[0], caller[1]
                    )
    return found


def coerced_leaf(leaf_type: GraphQLLeafType, value: Any) -> Any:
    """The leaf's output value, or None when graphql-core must complete it (and say what is wrong)."""
    try:
        return leaf_type.coerce_output_value(value)
    except Exception:
        return None
