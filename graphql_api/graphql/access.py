"""Who may use which field (SPEC section 9): a rule declared on every field, deny by default.

Entry points (the fields of Query, Mutation and later Subscription, and any field that reaches data
its parent does not own) declare the roles they allow with `allow(...)` next to the field; the check
runs before the resolver, so a rule the token alone decides costs no DynamoDB request. Anonymous
callers outside the rule get UNAUTHENTICATED, signed-in ones FORBIDDEN.

Object types declare one rule for their plain fields: `@follows_parent` (a Customer's or an Order's
fields are visible exactly when the object is: the entry point that produced it checked the caller
may see it) or `@public` (Product). Ownership ("a customer sees only their own") is decided by the
entry points with `Identity.may_see_customer`, and another customer's object reads as null or
mutates as NOT_FOUND, like a missing one.

`unruled_fields` lists every field of a schema without a rule; `build_schema` refuses to build a
schema that has one, and a test walks the schema too.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from graphql import GraphQLObjectType, GraphQLSchema
from strawberry.extensions import FieldExtension
from strawberry.types import Info

from graphql_api.auth.identity import Identity, Role
from graphql_api.errors import Forbidden, Unauthenticated

T = TypeVar("T", bound=type)

EVERYONE = frozenset(Role)
SIGNED_IN = frozenset({Role.CUSTOMER, Role.STAFF, Role.ADMIN})
STAFF = frozenset({Role.STAFF, Role.ADMIN})
CUSTOMERS_AND_ADMINS = frozenset({Role.CUSTOMER, Role.ADMIN})
CUSTOMERS_ONLY = frozenset({Role.CUSTOMER})

PUBLIC_RULE = "public"
FOLLOWS_PARENT_RULE = "follows parent"
_TYPE_RULE = "__access_rule__"


class Allow(FieldExtension):
    """Runs the field only for callers whose role is in `roles`."""

    def __init__(self, roles: frozenset[Role]) -> None:
        super().__init__()
        self.roles = roles

    def check(self, identity: Identity) -> None:
        if identity.role in self.roles:
            return
        if not identity.signed_in:
            raise Unauthenticated("sign in to use this field: send 'Authorization: Bearer <access token>'")
        raise Forbidden("your role may not use this field")

    def resolve(self, next_: Callable[..., Any], source: Any, info: Info, **kwargs: Any) -> Any:
        self.check(info.context.identity)
        return next_(source, info, **kwargs)

    async def resolve_async(self, next_: Callable[..., Awaitable[Any]], source: Any, info: Info, **kwargs: Any) -> Any:
        self.check(info.context.identity)
        result = next_(source, info, **kwargs)
        # A subscription's resolver gives an async generator, which is not awaited.
        return await result if inspect.isawaitable(result) else result


def allow(roles: frozenset[Role]) -> list[FieldExtension]:
    """`strawberry.field(extensions=allow(SIGNED_IN))`: the field's rule."""
    return [Allow(roles)]


def public(cls: T) -> T:
    """Every plain field of this type is visible to anyone (fields with their own rule keep it)."""
    setattr(cls, _TYPE_RULE, PUBLIC_RULE)
    return cls


def follows_parent(cls: T) -> T:
    """Every plain field of this type is visible exactly when the object is."""
    setattr(cls, _TYPE_RULE, FOLLOWS_PARENT_RULE)
    return cls


def field_rule(object_type: GraphQLObjectType, field_name: str) -> str | None:
    """The rule of a field: its own `Allow` roles, else its type's rule, else None (no rule: denied)."""
    field = object_type.fields[field_name]
    definition = field.extensions.get("strawberry-definition")
    for extension in getattr(definition, "extensions", ()):
        if isinstance(extension, Allow):
            return "allow " + ", ".join(sorted(role.name.lower() for role in extension.roles))
    type_definition = object_type.extensions.get("strawberry-definition")
    origin = getattr(type_definition, "origin", None)
    rule: str | None = getattr(origin, _TYPE_RULE, None)
    return rule


def unruled_fields(schema: GraphQLSchema) -> list[str]:
    """`Type.field` for every field of the schema's own object types that has no rule."""
    roots = {root.name for root in (schema.query_type, schema.mutation_type, schema.subscription_type) if root}
    missing = []
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name in type_.fields:
            rule = field_rule(type_, name)
            # Root fields are entry points: a type-wide rule is not enough for them.
            if rule is None or (type_.name in roots and not rule.startswith("allow")):
                missing.append(f"{type_.name}.{name}")
    return missing
