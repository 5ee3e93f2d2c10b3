"""What a caller may select: every field of an answer that its role may read, by the schema's access rules.

A field with its own rule (`allow(...)`, graphql_api.graphql.access) is selected only for the roles it allows;
a field under its type's rule (`@public`, `@follows_parent`) is visible whenever its object is. The
cross-tenant matrix (tests/integration/test_access_matrix.py) selects answers with this, so a public type
gaining a staff-only field does not turn an anonymous caller's cell into an error.
"""

from __future__ import annotations

from typing import Any

from graphql import GraphQLNonNull, GraphQLObjectType, get_named_type, is_leaf_type

from graphql_api.auth.identity import Role
from graphql_api.graphql.access import Allow


def own_rule(object_type: GraphQLObjectType, field_name: str) -> frozenset[Role] | None:
    """The roles a field's own rule allows, or None when it follows its type's rule."""
    definition = object_type.fields[field_name].extensions.get("strawberry-definition")
    for extension in getattr(definition, "extensions", None) or ():
        if isinstance(extension, Allow):
            return extension.roles
    return None


def may_read(object_type: GraphQLObjectType, field_name: str, role: Role) -> bool:
    roles = own_rule(object_type, field_name)
    return roles is None or role in roles


def selection(type_: Any, role: Role | None = None, depth: int = 3) -> str:
    """Every field of the answer that takes no required argument, objects to `depth` levels; with a `role`,
    only the fields that role may read (None: every field, whatever its rule). Empty when nothing is left."""
    named = get_named_type(type_)
    if is_leaf_type(named) or not isinstance(named, GraphQLObjectType):
        return ""
    parts = []
    for name, field in named.fields.items():
        if any(isinstance(arg.type, GraphQLNonNull) for arg in field.args.values()):
            continue
        if role is not None and not may_read(named, name, role):
            continue
        if is_leaf_type(get_named_type(field.type)):
            parts.append(name)
        elif depth > 1 and (inner := selection(field.type, role, depth - 1)):
            parts.append(f"{name} {inner}")
    return "{ " + " ".join(parts) + " }" if parts else ""
