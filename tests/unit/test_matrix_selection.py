"""The cross-tenant matrix selects, for each caller, only the fields its role may read (tests/support/selection.py):
a public type with a staff-only field (and a type reached only through it) on a schema of its own."""

from __future__ import annotations

from dataclasses import dataclass

import strawberry
from graphql import assert_object_type

from graphql_api.auth.identity import Identity, Role
from graphql_api.graphql.access import EVERYONE, STAFF, allow, public
from tests.support.selection import own_rule, selection


@public
@strawberry.type
class Supplier:
    name: str


@public
@strawberry.type
class Item:
    item_id: strawberry.ID
    name: str

    @strawberry.field(extensions=allow(STAFF))
    def cost(self) -> str:
        return "1.00"

    @strawberry.field(extensions=allow(STAFF))
    def supplier(self) -> Supplier:
        return Supplier(name="Acme")


@strawberry.type
class Query:
    @strawberry.field(extensions=allow(EVERYONE))
    def item(self) -> Item:
        return Item(item_id=strawberry.ID("i1"), name="Lamp")


STRAWBERRY_SCHEMA = strawberry.Schema(query=Query)
SCHEMA = STRAWBERRY_SCHEMA._schema
ITEM = assert_object_type(SCHEMA.type_map["Item"])


def test_a_field_with_its_own_rule_is_left_out_for_the_roles_outside_it() -> None:
    assert selection(ITEM, Role.ANONYMOUS) == "{ itemId name }"
    assert selection(ITEM, Role.CUSTOMER) == "{ itemId name }"


def test_the_roles_it_allows_select_it_and_what_lies_below_it() -> None:
    assert selection(ITEM, Role.STAFF) == "{ itemId name cost supplier { name } }"
    assert selection(ITEM, Role.ADMIN) == selection(ITEM, Role.STAFF)


def test_without_a_role_every_field_is_selected() -> None:
    assert selection(ITEM) == "{ itemId name cost supplier { name } }"


def test_the_rule_read_is_the_fields_own() -> None:
    assert own_rule(ITEM, "cost") == STAFF
    assert own_rule(ITEM, "name") is None  # the type's rule (public)


@dataclass
class Context:
    identity: Identity


def _run(document: str, identity: Identity) -> list[str]:
    """The error codes of running `document` as `identity` (the rule checks are the service's own)."""
    result = STRAWBERRY_SCHEMA.execute_sync(document, context_value=Context(identity))
    return sorted({type(error.original_error).__name__ for error in result.errors or ()})


def test_the_callers_selection_passes_the_rules_and_the_whole_one_does_not() -> None:
    anonymous = Identity(Role.ANONYMOUS)
    assert _run(f"{{ item {selection(ITEM, Role.ANONYMOUS)} }}", anonymous) == []
    assert _run(f"{{ item {selection(ITEM)} }}", anonymous) == ["Unauthenticated"]
    customer = Identity(Role.CUSTOMER, customer_id="cus_1")
    assert _run(f"{{ item {selection(ITEM, Role.CUSTOMER)} }}", customer) == []
    assert _run(f"{{ item {selection(ITEM, Role.STAFF)} }}", Identity(Role.STAFF)) == []
