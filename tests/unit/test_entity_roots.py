"""The schema's roots are the entities' parts merged in the listed order, each field declared by one entity."""

from __future__ import annotations

import importlib
import pkgutil

import pytest
import strawberry
from strawberry.schema.name_converter import NameConverter
from strawberry.types.base import get_object_definition

from graphql_api.graphql import entities
from graphql_api.graphql.entities._roots import Roots, merge
from graphql_api.graphql.node import NodeQuery
from graphql_api.graphql.registry import ENTITIES
from graphql_api.graphql.schema import build_schema


@strawberry.type
class FirstQuery:
    @strawberry.field
    def a(self) -> int:
        return 1

    @strawberry.field
    def b(self) -> int:
        return 2


@strawberry.type
class SecondQuery:
    @strawberry.field
    def c(self) -> int:
        return 3


@strawberry.type
class ClashingQuery:
    @strawberry.field
    def b(self) -> int:
        return 4


def test_merge_keeps_the_parts_order_and_skips_absent_parts() -> None:
    query = merge("Query", (SecondQuery, None, FirstQuery))
    sdl = strawberry.Schema(query=query).as_str()
    assert "type Query {\n  c: Int!\n  a: Int!\n  b: Int!\n}" in sdl


def test_a_field_declared_by_two_entities_is_refused_not_overridden() -> None:
    with pytest.raises(TypeError, match="Query fields declared by more than one entity: b"):
        merge("Query", (FirstQuery, SecondQuery, ClashingQuery))


def test_every_entity_module_is_listed_once_in_the_schema() -> None:
    modules = [info.name for info in pkgutil.iter_modules(entities.__path__) if not info.name.startswith("_")]
    assert modules  # the walk finds the entity modules
    listed = [importlib.import_module(f"{entities.__name__}.{name}").ROOTS for name in modules]
    for name, roots in zip(modules, listed, strict=True):
        assert isinstance(roots, Roots), name
        assert sum(roots is entry for entry in ENTITIES) == 1, f"{name}.ROOTS is not in registry.ENTITIES exactly once"
    assert len(ENTITIES) == len(modules)


def test_each_root_field_comes_from_its_entitys_part_in_the_listed_order() -> None:
    schema = build_schema()._schema
    for root, kind in (
        (schema.query_type, "query"),
        (schema.mutation_type, "mutation"),
        (schema.subscription_type, "subscription"),
    ):
        assert root is not None
        expected = [
            NameConverter().get_graphql_name(field)
            for roots in ENTITIES
            if (part := getattr(roots, kind)) is not None
            for field in get_object_definition(part, strict=True).fields
        ]
        if kind == "query":
            # Relay's node(id:), after every entity's part (graphql_api.graphql.node).
            expected += [
                NameConverter().get_graphql_name(f) for f in get_object_definition(NodeQuery, strict=True).fields
            ]
        assert list(root.fields) == expected, root.name
