"""The tables as Terraform data: infra_terraform/tables.auto.tfvars.json, derived from the table declarations.

Terraform loads that file by itself (every `*.auto.tfvars.json`) into `var.tables`, and
infra_terraform/main.tf makes one modules/dynamodb_table per entry. Regenerate it whenever a declaration
changes (tests/terraform fails while it is stale):

    python -m graphql_api.ops.terraform_data > infra_terraform/tables.auto.tfvars.json
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from typing import Literal, TypedDict

from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.tables import Index, Key, KeyType, Table

Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]
StreamViewType = Literal["KEYS_ONLY", "NEW_IMAGE", "OLD_IMAGE", "NEW_AND_OLD_IMAGES"]


# Every attribute is always present, null where absent: the `tables` variable is a plain object type
# (Terraform 1.0 has no optional attributes), and a missing attribute would fail the plan.
class IndexData(TypedDict):
    name: str
    hash_key: str
    hash_key_type: KeyType
    range_key: str | None
    range_key_type: KeyType | None
    projection_type: Projection
    non_key_attributes: list[str]


class TableData(TypedDict):
    hash_key: str
    hash_key_type: KeyType
    range_key: str | None
    range_key_type: KeyType | None
    global_secondary_indexes: list[IndexData]
    stream_view_type: StreamViewType | None
    ttl_attribute: str | None
    """The declared time-to-live attribute: the module's `ttl` block, enabled only when it is set."""


class TerraformData(TypedDict):
    tables: dict[str, TableData]


def _name(key: Key | None) -> str | None:
    return None if key is None else key.name


def _type(key: Key | None) -> KeyType | None:
    return None if key is None else key.type


def index_data(index: Index) -> IndexData:
    return {
        "name": index.name,
        "hash_key": index.hash_key.name,
        "hash_key_type": index.hash_key.type,
        "range_key": _name(index.range_key),
        "range_key_type": _type(index.range_key),
        "projection_type": index.projection,
        "non_key_attributes": list(index.non_key_attributes),
    }


def table_data(table: Table) -> TableData:
    return {
        "hash_key": table.hash_key.name,
        "hash_key_type": table.hash_key.type,
        "range_key": _name(table.range_key),
        "range_key_type": _type(table.range_key),
        "global_secondary_indexes": [index_data(index) for index in table.indexes],
        "stream_view_type": table.stream,
        "ttl_attribute": table.ttl_attribute,
    }


def tables_data(tables: Iterable[Table] = ALL_TABLES) -> TerraformData:
    """The value of Terraform's `tables` variable: each table's keys, indexes, stream and time to live, by table
    name (no prefix)."""
    data: dict[str, TableData] = {}
    for table in tables:
        if table.name in data:
            raise ValueError(f"table {table.name} is declared more than once")
        data[table.name] = table_data(table)
    return {"tables": data}


def render(tables: Iterable[Table] = ALL_TABLES) -> str:
    """The file's exact text: sorted keys and fixed indentation, so that it only changes with a declaration."""
    return json.dumps(tables_data(tables), indent=2, sort_keys=True) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
