"""infra_terraform/tables.auto.tfvars.json is the tables' data the code declares: regenerate it when this fails.

Terraform loads the file by itself into var.tables (see graphql_api/ops/terraform_data.py); here it must
equal the generator's output, be the only place var.tables is set, and satisfy the variable's type.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops.terraform_data import render, tables_data
from graphql_api.tables import Index, Key, Table

REGENERATE = "python -m graphql_api.ops.terraform_data > infra_terraform/tables.auto.tfvars.json"
DATA_FILE = "tables.auto.tfvars.json"


def test_tables_data_file_is_up_to_date(terraform_root: Path) -> None:
    committed = (terraform_root / DATA_FILE).read_text(encoding="utf-8")
    assert committed == render(), f"infra_terraform/{DATA_FILE} is stale: run `{REGENERATE}`"


def test_every_declared_table_is_an_entry() -> None:
    assert list(tables_data()["tables"]) == [table.name for table in ALL_TABLES]


def test_an_entry_holds_every_attribute_null_where_absent() -> None:
    table = Table(
        "Carts",
        Key("CartId"),
        Key("Version", "N"),
        (Index("ByOwner", Key("OwnerId"), projection="INCLUDE", non_key_attributes=("Total",)),),
    )

    assert tables_data([table]) == {
        "tables": {
            "Carts": {
                "hash_key": "CartId",
                "hash_key_type": "S",
                "range_key": "Version",
                "range_key_type": "N",
                "global_secondary_indexes": [
                    {
                        "name": "ByOwner",
                        "hash_key": "OwnerId",
                        "hash_key_type": "S",
                        "range_key": None,
                        "range_key_type": None,
                        "projection_type": "INCLUDE",
                        "non_key_attributes": ["Total"],
                    }
                ],
                "stream_view_type": None,
                "ttl_attribute": None,
            }
        }
    }


def test_a_declared_time_to_live_is_in_the_entry() -> None:
    table = Table("Carts", Key("CustomerId"), Key("ProductId"), ttl_attribute="ExpiresAt")
    assert tables_data([table])["tables"]["Carts"]["ttl_attribute"] == "ExpiresAt"


def test_a_table_declared_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="Carts is declared more than once"):
        tables_data([Table("Carts", Key("CartId")), Table("Carts", Key("Id"))])


def test_the_rendering_is_stable() -> None:
    text = render()
    assert text.endswith("}\n")
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"


def test_nothing_else_sets_the_tables(terraform_root: Path) -> None:
    """An environment file setting `tables` would replace the whole map, declarations or not."""
    variable_files = sorted(
        path.relative_to(terraform_root).as_posix()
        for pattern in ("*.tfvars", "*.tfvars.json", "envs/*.tfvars", "envs/*.tfvars.json")
        for path in terraform_root.glob(pattern)
    )
    assert DATA_FILE in variable_files
    for name in variable_files:
        if name == DATA_FILE:
            continue
        path = terraform_root / name
        with path.open(encoding="utf-8") as file:
            values: dict[str, Any] = json.load(file) if name.endswith(".json") else hcl2.load(file)
        assert "tables" not in values, f"{name} sets tables; they come from infra_terraform/{DATA_FILE} only"


def _console(terraform: Path, workdir: Path, expression: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(terraform), "console", "-no-color"],
        input=f"{expression}\n",
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_terraform_accepts_the_file_as_the_tables_variable(
    terraform: Path, terraform_root: Path, tmp_path: Path
) -> None:
    """The root's variables.tf and the data file only: Terraform loads the file by itself and types it."""
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    shutil.copy(terraform_root / DATA_FILE, tmp_path / DATA_FILE)

    completed = _console(terraform, tmp_path, "jsonencode(var.tables)")

    assert completed.returncode == 0, completed.stderr
    assert "Error:" not in completed.stderr, completed.stderr
    assert json.loads(json.loads(completed.stdout)) == tables_data()["tables"]


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        pytest.param(lambda entry: entry.pop("range_key_type"), 'attribute "range_key_type" is required', id="missing"),
        pytest.param(
            lambda entry: entry.update(stream_view_type="EVERYTHING"), "stream_view_type must be null", id="stream"
        ),
    ],
)
def test_terraform_rejects_a_malformed_file(
    terraform: Path, terraform_root: Path, tmp_path: Path, edit: Any, message: str
) -> None:
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    document = json.loads(render())
    edit(document["tables"]["Orders"])
    (tmp_path / DATA_FILE).write_text(json.dumps(document), encoding="utf-8")

    completed = _console(terraform, tmp_path, "jsonencode(var.tables)")

    assert message in " ".join(completed.stderr.split())
