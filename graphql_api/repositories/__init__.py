"""The entities, one module each: its dataclass and declaration (graphql_api.entity), its listings and writes.

Every module of this package is imported here and every `Entity` it declares is collected, in module
order: `ALL_ENTITIES` and their `ALL_TABLES` are what `tables create|verify`, the loaders, the pattern
checks, the Terraform data and the tests read. A new entity is a new module; nothing else lists it.
"""

from __future__ import annotations

import importlib
import pkgutil

from graphql_api.entity import Entity
from graphql_api.tables import Table


def _declared() -> tuple[Entity[object], ...]:
    found: dict[int, Entity[object]] = {}
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda info: info.name):
        if module_info.name.startswith("_"):
            continue
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        for value in vars(module).values():
            if isinstance(value, Entity):
                found.setdefault(id(value), value)
    return tuple(found.values())


ALL_ENTITIES = _declared()
ALL_TABLES: tuple[Table, ...] = tuple(entity.table for entity in ALL_ENTITIES)


def table_named(name: str) -> Table:
    for table in ALL_TABLES:
        if table.name.lower() == name.lower():
            return table
    raise KeyError(name)
