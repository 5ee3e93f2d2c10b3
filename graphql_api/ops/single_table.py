"""The single-table layout for the operator's tools: graphql_api.migration.layout with the registry's entities."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from graphql_api.entity import Entity
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.migration import layout
from graphql_api.migration.layout import TYPE_ATTRIBUTE, Placement, Segment, Shape, render

__all__ = ["TYPE_ATTRIBUTE", "Layout", "Placement", "Segment", "Shape", "render"]


class Layout(layout.Layout):
    """Every data entity's placement (the registry's), in the table `name`."""

    def __init__(self, entities: Iterable[Entity[Any]] = DATA_ENTITIES, name: str = "App") -> None:
        super().__init__(entities, name)
