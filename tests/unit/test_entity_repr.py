"""An entity reads as its table in a failure message, not as `<graphql_api.entity.Entity object at 0x...>`."""

from __future__ import annotations

from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.repositories.orders import ORDERS


def test_an_entity_is_shown_by_its_table_name() -> None:
    assert repr(ORDERS) == "Entity(Orders)"


def test_a_set_of_entities_names_every_table() -> None:
    shown = repr(set(ALL_ENTITIES))
    for entity in ALL_ENTITIES:
        assert f"Entity({entity.table.name})" in shown, shown
    assert " object at 0x" not in shown
