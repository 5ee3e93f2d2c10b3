"""The single table as Terraform data: infra_terraform/single_table.auto.tfvars.json, from the same declarations.

Terraform loads that file by itself into `var.single_table` (infra_terraform/single_table.tf), whose table
exists only with `single_table_enabled = true` (off by default: the migration's first phase provisions it).
Regenerate it whenever a declaration changes (tests/terraform fails while it is stale):

    python -m graphql_api.ops.single_table_terraform > infra_terraform/single_table.auto.tfvars.json
"""

from __future__ import annotations

import json
import sys
from typing import TypedDict

from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_streams import STREAM_VIEW, migration_streams
from graphql_api.ops.terraform_data import TableData, table_data


class ReplicationData(TypedDict):
    stream_view_type: str
    tables: list[str]


class SingleTableData(TypedDict):
    single_table: TableData
    single_table_replication: ReplicationData


def single_table_data(layout: Layout | None = None) -> SingleTableData:
    """The values of Terraform's `single_table` variable: the table's keys and overloaded GSIs (its name is the
    `single_table_name` variable, as SINGLE_TABLE_NAME is the service's); and of `single_table_replication`: the
    old tables that declare no stream and the view replication needs on them (main.tf turns them on with
    single_table_enabled; graphql_api.ops.single_table_streams)."""
    layout = layout or Layout()
    streams = migration_streams(layout)
    return {
        "single_table": table_data(layout.table),
        "single_table_replication": {"stream_view_type": STREAM_VIEW, "tables": sorted(streams)},
    }


def render(layout: Layout | None = None) -> str:
    return json.dumps(single_table_data(layout), indent=2, sort_keys=True) + "\n"


def main() -> None:
    sys.stdout.write(render())


if __name__ == "__main__":
    main()
