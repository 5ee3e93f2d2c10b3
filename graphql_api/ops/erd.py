"""`graphql-api erd`: the model as a Mermaid entity-relationship diagram, generated from the entity declarations.

Each table with its attributes (DynamoDB type, PK/SK, the GSIs an attribute keys) and its relationships:
each declared reference (`references={"customer_id": Reference(CUSTOMERS)}`) drawn one-to-many, or as the
hierarchy of a composite key when it is also the first key of the referring table (Orders -> OrderItems).
docs/reference/erd.md embeds this output; a test fails when it is stale.
"""

from __future__ import annotations

from typing import Any

from graphql_api.entity import Entity
from graphql_api.graphql.registry import ALL_ENTITIES


def _attribute_lines(entity: Entity[Any]) -> list[str]:
    table = entity.table
    keys = {table.hash_key.name: "PK"}
    if table.range_key is not None:
        keys[table.range_key.name] = "SK"
    indexed: dict[str, list[str]] = {}
    for index in table.indexes:
        for key, role in zip(index.keys, ("HASH", "RANGE"), strict=False):
            indexed.setdefault(key.name, []).append(f"{index.name} {role}")
    lines = []
    for field in entity.mapping.fields:
        marker = f" {keys[field.attribute]}" if field.attribute in keys else ""
        comment = f' "{", ".join(indexed[field.attribute])}"' if field.attribute in indexed else ""
        lines.append(f"        {field.codec.stored_type} {field.attribute}{marker}{comment}")
    return lines


def _relationships(entities: tuple[Entity[Any], ...]) -> list[str]:
    lines = []
    for entity in entities:
        for name, reference in entity.references.items():
            hierarchy = entity.key_fields[0] == name and len(entity.key_fields) > 1
            shape = "||--|{" if hierarchy else "||--o{"
            lines.append(f'    {reference.target.table.name} {shape} {entity.table.name} : "{entity.attribute(name)}"')
    return lines


def mermaid(entities: tuple[Entity[Any], ...] = ALL_ENTITIES) -> str:
    lines = ["erDiagram"]
    for entity in entities:
        if entity.table.stream:
            lines.append(f"    %% {entity.table.name}: stream {entity.table.stream} (subscriptions)")
        lines += [f"    {entity.table.name} {{", *_attribute_lines(entity), "    }"]
    lines += _relationships(entities)
    return "\n".join(lines) + "\n"
