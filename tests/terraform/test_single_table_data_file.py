"""infra_terraform/single_table.auto.tfvars.json is the single table the declarations derive (regenerate it when
this fails), and infra_terraform/single_table.tf provisions it from that data, only when asked."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_terraform import render, single_table_data
from tests.terraform.hcl import load_hcl

REGENERATE = "python -m graphql_api.ops.single_table_terraform > infra_terraform/single_table.auto.tfvars.json"
DATA_FILE = "single_table.auto.tfvars.json"


def test_the_data_file_is_up_to_date(terraform_root: Path) -> None:
    committed = (terraform_root / DATA_FILE).read_text(encoding="utf-8")
    assert committed == render(), f"infra_terraform/{DATA_FILE} is stale: run `{REGENERATE}`"


def test_the_table_is_off_by_default_and_built_from_the_data(terraform_root: Path) -> None:
    declared = load_hcl(terraform_root / "variables.tf")
    variables = {name.strip('"'): body for block in declared["variable"] for name, body in block.items()}
    assert variables["single_table_enabled"]["default"] is False
    assert variables["single_table_name"]["default"].strip('"') == "App"
    document = load_hcl(terraform_root / "single_table.tf")
    (raw,) = [block['"aws_dynamodb_table"']['"single_table"'] for block in document["resource"]]
    table = {name: value.strip('"') if isinstance(value, str) else value for name, value in raw.items()}
    assert table["count"] == "${var.single_table_enabled ? 1 : 0}"
    assert table["name"] == "${var.name_prefix}${var.single_table_name}"
    assert (table["hash_key"], table["range_key"]) == ("${var.single_table.hash_key}", "${var.single_table.range_key}")
    assert table["billing_mode"] == "PAY_PER_REQUEST"


def test_terraform_reads_the_data_as_the_declared_keys_and_indexes(
    terraform: Path, terraform_root: Path, tmp_path: Path
) -> None:
    """The root's variables, single_table.tf's locals and the data file: what Terraform makes of them."""
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    source = (terraform_root / "single_table.tf").read_text(encoding="utf-8")
    (tmp_path / "single_table.tf").write_text(source[: source.index('resource "aws_dynamodb_table"')], encoding="utf-8")
    (tmp_path / DATA_FILE).write_text(render(), encoding="utf-8")

    completed = subprocess.run(
        [str(terraform), "console", "-no-color"],
        input="jsonencode([var.single_table, local.single_table_attributes])\n",
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert completed.returncode == 0, completed.stderr
    table, attributes = json.loads(json.loads(completed.stdout))
    assert table == single_table_data()["single_table"]
    layout = Layout().table
    assert attributes == {
        key.name: key.type for keys in (layout.keys, *(i.keys for i in layout.indexes)) for key in keys
    }
