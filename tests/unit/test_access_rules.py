"""Deny by default: every field of the schema has an access rule, and a schema with a field without one is refused."""

from __future__ import annotations

import pytest
import strawberry

from graphql_api.graphql.access import EVERYONE, allow, field_rule, follows_parent, unruled_fields
from graphql_api.graphql.schema import build_schema


def test_every_field_of_the_schema_has_a_rule() -> None:
    schema = build_schema()._schema
    assert unruled_fields(schema) == []
    fields = [(type_, name) for type_ in schema.type_map.values() if hasattr(type_, "fields") for name in type_.fields]
    assert len(fields) > 60  # the walk really visits the schema (introspection types aside, as below)


def test_root_fields_each_declare_their_own_roles() -> None:
    schema = build_schema()._schema
    for root in (schema.query_type, schema.mutation_type):
        assert root is not None
        for name in root.fields:
            rule = field_rule(root, name)
            assert rule is not None, f"{root.name}.{name}: {rule}"
            assert rule.startswith("allow "), f"{root.name}.{name}: {rule}"


@strawberry.type
class Secret:
    value: str


@follows_parent
@strawberry.type
class Safe:
    value: str


@strawberry.type
class CarelessQuery:
    @strawberry.field(extensions=allow(EVERYONE))
    def safe(self) -> Safe:
        return Safe(value="ok")

    @strawberry.field(extensions=allow(EVERYONE))
    def secret(self) -> Secret:
        return Secret(value="x")

    @strawberry.field
    def forgotten(self) -> str:
        return "x"


@follows_parent
@strawberry.type
class TypeWideQuery:
    value: str = "x"


def test_a_field_without_a_rule_is_found() -> None:
    schema = strawberry.Schema(query=CarelessQuery)
    assert unruled_fields(schema._schema) == ["CarelessQuery.forgotten", "Secret.value"]


def test_a_root_field_with_only_a_type_wide_rule_is_not_enough() -> None:
    assert unruled_fields(strawberry.Schema(query=TypeWideQuery)._schema) == ["TypeWideQuery.value"]


def test_build_schema_refuses_a_schema_with_an_unruled_field(monkeypatch: pytest.MonkeyPatch) -> None:
    import graphql_api.graphql.schema as schema_module

    monkeypatch.setattr(schema_module, "unruled_fields", lambda schema: ["Query.forgotten"])
    with pytest.raises(TypeError, match=r"Query\.forgotten"):
        build_schema()
