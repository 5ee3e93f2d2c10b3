"""The Terraform contract: infra_terraform provisions exactly the tables the code declares.

Every .tf file is parsed with python-hcl2 (no provider, no `terraform init`). Each root call of
modules/dynamodb_table is read back into a `Table` declaration from its literal arguments (name
suffix after `var.name_prefix`, keys, key types, indexes, projections) and compared with
`graphql_api.tables.ALL_TABLES`; a mismatch names the table, the index and both values. The
security posture (PITR, encryption, deletion protection, on-demand billing) is checked on the
module defaults, on the wiring of the root variables and on the production variables, and the
module's attribute definitions are evaluated with `terraform console`, which needs no provider.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import hcl2
import pytest

from graphql_api.repositories import ALL_TABLES
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.settings import Settings
from graphql_api.tables import Index, Key, KeyType, Table

Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]

MODULE_SOURCE = "./modules/dynamodb_table"
TABLE_NAME = re.compile(r"^\$\{var\.name_prefix\}([A-Za-z0-9_.-]+)$")
KEY_TYPES: dict[str, KeyType] = {"S": "S", "N": "N", "B": "B"}
PROJECTIONS: dict[str, Projection] = {"ALL": "ALL", "KEYS_ONLY": "KEYS_ONLY", "INCLUDE": "INCLUDE"}
# What modules/dynamodb_table/locals.tf fills in for an index attribute the caller leaves out.
INDEX_DEFAULTS: dict[str, Any] = {"range_key": None, "range_key_type": "S", "non_key_attributes": []}
# Root variables that every table's module call must pass through, so that envs/*.tfvars decide.
POSTURE_ARGUMENTS = (
    "point_in_time_recovery_enabled",
    "deletion_protection_enabled",
    "server_side_encryption_enabled",
    "server_side_encryption_kms_key_arn",
)
SAFE_POSTURE = {
    "point_in_time_recovery_enabled": True,
    "deletion_protection_enabled": True,
    "server_side_encryption_enabled": True,
}


# --- Reading HCL as python-hcl2 serialises it -----------------------------------------------


class NotLiteralError(ValueError):
    """An HCL expression that is not a literal (a reference, a call, a template)."""


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        document: dict[str, Any] = hcl2.load(file)
    return document


def _is_quoted(text: str) -> bool:
    return len(text) >= 2 and text[0] == '"' and text[-1] == '"'


def template_text(value: str) -> str:
    """The text of an HCL string, `${...}` interpolations kept, quotes and escapes resolved.

    python-hcl2 8 keeps a string's quotes ('"S"') and wraps every other expression in ${...};
    earlier versions dropped the quotes. Both spellings are accepted.
    """
    if _is_quoted(value):
        try:
            decoded: str = json.loads(value)
        except json.JSONDecodeError:  # an HCL escape JSON does not know; keep it verbatim
            decoded = value[1:-1]
        return decoded
    return value


def _has_interpolation(text: str) -> bool:
    return "${" in text.replace("$${", "")


def literal(value: Any) -> Any:
    """The Python value of a literal HCL expression; NotLiteralError for anything computed."""
    if isinstance(value, dict):
        return {template_text(key): literal(item) for key, item in value.items() if not key.startswith("__")}
    if isinstance(value, list):
        return [literal(item) for item in value]
    if isinstance(value, str):
        if not _is_quoted(value) and value.startswith("${") and value.endswith("}"):
            raise NotLiteralError(value)
        text = template_text(value)
        if _has_interpolation(text):
            raise NotLiteralError(value)
        return text
    return value  # bool, number or None


def expression(value: Any) -> str:
    """The source of an HCL expression without its ${...} wrapper, e.g. 'var.name'."""
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    return text


def labelled_blocks(document: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Blocks with one label (`variable "x"`, `module "x"`), by label."""
    blocks: dict[str, dict[str, Any]] = {}
    for entry in document.get(kind, []):
        for label, body in entry.items():
            blocks[template_text(label)] = body
    return blocks


def resources(document: Mapping[str, Any], resource_type: str) -> dict[str, dict[str, Any]]:
    """Resource blocks of one type, by name."""
    found: dict[str, dict[str, Any]] = {}
    for entry in document.get("resource", []):
        for type_label, by_name in entry.items():
            if template_text(type_label) == resource_type:
                found.update({template_text(name): body for name, body in by_name.items()})
    return found


def nested_blocks(body: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = body.get(kind, [])
    return blocks


def dynamic_blocks(body: Mapping[str, Any], kind: str) -> list[dict[str, Any]]:
    return [
        block
        for entry in nested_blocks(body, "dynamic")
        for label, block in entry.items()
        if template_text(label) == kind
    ]


def merged_documents(directory: Path, pattern: str = "*.tf") -> dict[str, list[Any]]:
    """All top-level blocks of a Terraform directory (not recursive), as one document."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob(pattern)):
        for kind, entries in load_hcl(path).items():
            if not kind.startswith("__"):
                merged.setdefault(kind, []).extend(entries)
    return merged


def variable_defaults(directory: Path) -> dict[str, Any]:
    return {
        name: literal(body["default"])
        for name, body in labelled_blocks(merged_documents(directory), "variable").items()
        if "default" in body
    }


def tfvars(path: Path) -> dict[str, Any]:
    return {name: literal(value) for name, value in load_hcl(path).items() if not name.startswith("__")}


# --- Module calls back into table declarations ----------------------------------------------


class ContractError(ValueError):
    """A table module call the contract cannot read (non-literal key, unknown key type...)."""


@dataclass(frozen=True)
class TableCall:
    """One root call of modules/dynamodb_table: its label and its arguments as parsed."""

    label: str
    arguments: dict[str, Any]

    def literal_argument(self, name: str, default: Any = None) -> Any:
        if name not in self.arguments:
            return default
        try:
            return literal(self.arguments[name])
        except NotLiteralError:
            raise ContractError(
                f"module.{self.label}: {name} must be a literal for the contract test, "
                f"not {expression(self.arguments[name])}"
            ) from None

    def table_name(self) -> str:
        raw = self.arguments.get("name")
        match = TABLE_NAME.match(template_text(raw)) if isinstance(raw, str) else None
        if match is None:
            raise ContractError(f'module.{self.label}: name must be "${{var.name_prefix}}<Table>", not {raw!r}')
        return match.group(1)


def table_calls(root: Path) -> list[TableCall]:
    calls = labelled_blocks(merged_documents(root), "module").items()
    return [TableCall(label, body) for label, body in calls if literal(body.get("source")) == MODULE_SOURCE]


def _key_type(value: Any, where: str) -> KeyType:
    if value not in KEY_TYPES:
        raise ContractError(f"{where} has type {value!r}; DynamoDB key types are S, N and B")
    return KEY_TYPES[value]


def _projection(value: Any, where: str) -> Projection:
    if value not in PROJECTIONS:
        raise ContractError(f"{where} has projection {value!r}; expected ALL, KEYS_ONLY or INCLUDE")
    return PROJECTIONS[value]


def _key(name: Any, type_: Any, where: str) -> Key:
    if not isinstance(name, str) or not name:
        raise ContractError(f"{where} has no attribute name")
    return Key(name, _key_type(type_, f"{where} {name}"))


def _index(table: str, raw: Any) -> Index:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise ContractError(f"{table}: every global secondary index needs a literal name, got {raw!r}")
    where = f"{table}: GSI {raw['name']}"
    # Like the module's coalesce(): an attribute given as null takes its default.
    index = {**INDEX_DEFAULTS, **{key: value for key, value in raw.items() if value is not None}}
    range_key = None
    if index["range_key"] is not None:
        range_key = _key(index["range_key"], index["range_key_type"], f"{where} range key")
    return Index(
        name=index["name"],
        hash_key=_key(index.get("hash_key"), index.get("hash_key_type"), f"{where} hash key"),
        range_key=range_key,
        projection=_projection(index.get("projection_type"), where),
        non_key_attributes=tuple(index["non_key_attributes"] or ()),
    )


def table_from_call(call: TableCall, module_defaults: Mapping[str, Any]) -> Table:
    """The declaration a module call provisions, with the module's defaults filled in."""

    def argument(name: str) -> Any:
        return call.literal_argument(name, module_defaults.get(name))

    name = call.table_name()
    range_key = None
    if argument("range_key") is not None:
        range_key = _key(argument("range_key"), argument("range_key_type"), f"{name}: range key")
    indexes = argument("global_secondary_indexes") or []
    if not isinstance(indexes, list):
        raise ContractError(f"{name}: global_secondary_indexes must be a literal list")
    return Table(
        name=name,
        hash_key=_key(argument("hash_key"), argument("hash_key_type"), f"{name}: hash key"),
        range_key=range_key,
        indexes=tuple(_index(name, index) for index in indexes),
    )


def terraform_tables(root: Path) -> tuple[list[Table], list[str]]:
    """The tables the root configuration provisions, and the problems that kept any unread."""
    module_defaults = variable_defaults(root / "modules" / "dynamodb_table")
    tables: list[Table] = []
    problems: list[str] = []
    for call in table_calls(root):
        try:
            tables.append(table_from_call(call, module_defaults))
        except ContractError as error:
            problems.append(str(error))
    return tables, problems


# --- The comparison ---------------------------------------------------------------------------


def _key_name(key: Key | None) -> str:
    return "none" if key is None else key.name


def _key_differences(where: str, role: str, code: Key | None, terraform: Key | None) -> list[str]:
    if _key_name(code) != _key_name(terraform):
        return [f"{where} {role} is {_key_name(code)} in code, {_key_name(terraform)} in Terraform"]
    if code is not None and terraform is not None and code.type != terraform.type:
        return [f"{where} {role} {code.name} has type {code.type} in code, {terraform.type} in Terraform"]
    return []


def _index_differences(table: str, code: Index, terraform: Index) -> list[str]:
    where = f"{table}: GSI {code.name}"
    differences = [
        *_key_differences(where, "hash key", code.hash_key, terraform.hash_key),
        *_key_differences(where, "range key", code.range_key, terraform.range_key),
    ]
    if code.projection != terraform.projection:
        differences.append(f"{where} projection is {code.projection} in code, {terraform.projection} in Terraform")
    code_attributes, terraform_attributes = sorted(code.non_key_attributes), sorted(terraform.non_key_attributes)
    if code_attributes != terraform_attributes:
        differences.append(
            f"{where} non-key attributes are {code_attributes} in code, {terraform_attributes} in Terraform"
        )
    return differences


def _by_name_with_duplicates(items: Iterable[Any], describe: str, differences: list[str]) -> dict[str, Any]:
    by_name: dict[str, Any] = {}
    for item in items:
        if item.name in by_name:
            differences.append(f"{describe.format(name=item.name)} is declared more than once")
        by_name[item.name] = item
    return by_name


def _single_table_differences(code: Table, terraform: Table) -> list[str]:
    table = code.name
    differences = [
        *_key_differences(f"{table}:", "hash key", code.hash_key, terraform.hash_key),
        *_key_differences(f"{table}:", "range key", code.range_key, terraform.range_key),
    ]
    code_indexes: dict[str, Index] = {index.name: index for index in code.indexes}
    terraform_indexes: dict[str, Index] = _by_name_with_duplicates(
        terraform.indexes, f"{table}: GSI {{name}} in Terraform", differences
    )
    for name in sorted(code_indexes.keys() - terraform_indexes.keys()):
        differences.append(f"{table}: GSI {name} is declared in code but missing in Terraform")
    for name in sorted(terraform_indexes.keys() - code_indexes.keys()):
        differences.append(f"{table}: GSI {name} is in Terraform but not declared in code")
    for name in sorted(code_indexes.keys() & terraform_indexes.keys()):
        differences.extend(_index_differences(table, code_indexes[name], terraform_indexes[name]))
    return differences


def table_differences(code: Iterable[Table], terraform: Iterable[Table]) -> list[str]:
    """Every way the Terraform tables differ from the code's declarations, one sentence each."""
    differences: list[str] = []
    code_tables: dict[str, Table] = {table.name: table for table in code}
    terraform_tables_: dict[str, Table] = _by_name_with_duplicates(
        terraform, "{name}: the table in Terraform", differences
    )
    for name in sorted(code_tables.keys() - terraform_tables_.keys()):
        differences.append(f"{name}: declared in graphql_api/tables.py but not provisioned in infra_terraform")
    for name in sorted(terraform_tables_.keys() - code_tables.keys()):
        differences.append(f"{name}: provisioned in infra_terraform but not declared in graphql_api/tables.py")
    for name in sorted(code_tables.keys() & terraform_tables_.keys()):
        differences.extend(_single_table_differences(code_tables[name], terraform_tables_[name]))
    return differences


def _report(differences: Sequence[str]) -> str:
    return "Terraform and graphql_api/tables.py disagree:\n  - " + "\n  - ".join(differences)


# --- The contract -----------------------------------------------------------------------------


def test_terraform_provisions_exactly_the_declared_tables(terraform_root: Path) -> None:
    tables, problems = terraform_tables(terraform_root)
    differences = [*problems, *table_differences(ALL_TABLES, tables)]
    assert differences == [], _report(differences)


def test_every_table_module_call_is_read(terraform_root: Path) -> None:
    tables, problems = terraform_tables(terraform_root)
    assert problems == []
    assert len(tables) == len(table_calls(terraform_root)) >= len(ALL_TABLES)


# --- The comparison can fail, and says why -----------------------------------------------------


def _with_table(tables: Iterable[Table], changed: Table) -> list[Table]:
    return [changed if table.name == changed.name else table for table in tables]


def _with_index(table: Table, changed: Index) -> Table:
    return replace(table, indexes=tuple(changed if index.name == changed.name else index for index in table.indexes))


def test_identical_declarations_have_no_differences() -> None:
    assert table_differences(ALL_TABLES, list(ALL_TABLES)) == []


@pytest.mark.parametrize(
    ("terraform", "expected"),
    [
        pytest.param(
            _with_table(
                ALL_TABLES,
                _with_index(ORDERS.table, replace(ORDERS.table.index("StatusIndex"), range_key=Key("CreatedAt"))),
            ),
            ["Orders: GSI StatusIndex range key is OrderDate in code, CreatedAt in Terraform"],
            id="index-range-key",
        ),
        pytest.param(
            _with_table(
                ALL_TABLES,
                _with_index(
                    ORDERS.table, replace(ORDERS.table.index("CustomerIndex"), hash_key=Key("CustomerId", "N"))
                ),
            ),
            ["Orders: GSI CustomerIndex hash key CustomerId has type S in code, N in Terraform"],
            id="index-hash-key-type",
        ),
        pytest.param(
            _with_table(
                ALL_TABLES,
                _with_index(
                    CUSTOMERS.table,
                    replace(CUSTOMERS.table.index("EmailIndex"), projection="INCLUDE", non_key_attributes=("Name",)),
                ),
            ),
            [
                "Customers: GSI EmailIndex projection is ALL in code, INCLUDE in Terraform",
                "Customers: GSI EmailIndex non-key attributes are [] in code, ['Name'] in Terraform",
            ],
            id="index-projection",
        ),
        pytest.param(
            _with_table(ALL_TABLES, replace(ORDERS.table, indexes=ORDERS.table.indexes[:1])),
            ["Orders: GSI StatusIndex is declared in code but missing in Terraform"],
            id="missing-index",
        ),
        pytest.param(
            _with_table(
                ALL_TABLES,
                replace(ORDERS.table, indexes=(*ORDERS.table.indexes, Index("TotalIndex", Key("Total", "N")))),
            ),
            ["Orders: GSI TotalIndex is in Terraform but not declared in code"],
            id="extra-index",
        ),
        pytest.param(
            _with_table(ALL_TABLES, replace(ORDER_ITEMS.table, range_key=None)),
            ["OrderItems: range key is ItemId in code, none in Terraform"],
            id="missing-range-key",
        ),
        pytest.param(
            _with_table(ALL_TABLES, replace(ORDER_ITEMS.table, hash_key=Key("OrderId", "B"))),
            ["OrderItems: hash key OrderId has type S in code, B in Terraform"],
            id="hash-key-type",
        ),
        pytest.param(
            [table for table in ALL_TABLES if table.name != "Products"],
            ["Products: declared in graphql_api/tables.py but not provisioned in infra_terraform"],
            id="missing-table",
        ),
        pytest.param(
            [*ALL_TABLES, Table("Carts", Key("CartId"))],
            ["Carts: provisioned in infra_terraform but not declared in graphql_api/tables.py"],
            id="extra-table",
        ),
        pytest.param(
            [*ALL_TABLES, ORDERS.table],
            ["Orders: the table in Terraform is declared more than once"],
            id="duplicate-table",
        ),
    ],
)
def test_differences_name_what_differs(terraform: list[Table], expected: list[str]) -> None:
    assert table_differences(ALL_TABLES, terraform) == expected


def test_an_altered_module_call_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    """End to end: change the HCL itself and the contract names the change."""
    source = (terraform_root / "main.tf").read_text(encoding="utf-8")
    status_index = source.index('"StatusIndex"')
    altered = source[:status_index] + source[status_index:].replace('"OrderDate"', '"CreatedAt"', 1)
    (tmp_path / "main.tf").write_text(altered, encoding="utf-8")
    shutil.copytree(terraform_root / "modules", tmp_path / "modules")

    tables, problems = terraform_tables(tmp_path)

    assert problems == []
    assert "Orders: GSI StatusIndex range key is OrderDate in code, CreatedAt in Terraform" in table_differences(
        ALL_TABLES, tables
    )


def test_a_computed_key_argument_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    source = (terraform_root / "main.tf").read_text(encoding="utf-8")
    (tmp_path / "main.tf").write_text(
        source.replace('hash_key      = "ProductId"', "hash_key      = var.key"), encoding="utf-8"
    )
    shutil.copytree(terraform_root / "modules", tmp_path / "modules")

    _, problems = terraform_tables(tmp_path)

    assert problems == ["module.products: hash_key must be a literal for the contract test, not var.key"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ('"S"', "S"),
        ("S", "S"),  # python-hcl2 before 8 drops the quotes
        ('"a \\"quoted\\" word"', 'a "quoted" word'),
        ([{"name": '"EmailIndex"', "__is_block__": True}], [{"name": "EmailIndex"}]),
        (True, True),
        (None, None),
    ],
)
def test_literal_reads_both_string_spellings(raw: Any, expected: Any) -> None:
    assert literal(raw) == expected


@pytest.mark.parametrize("raw", ["${var.name}", '"${var.name_prefix}Orders"', "${var.name_prefix}Orders"])
def test_literal_rejects_expressions(raw: str) -> None:
    with pytest.raises(NotLiteralError):
        literal(raw)


# --- Security posture -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def module_dir(terraform_root: Path) -> Path:
    return terraform_root / "modules" / "dynamodb_table"


def test_module_defaults_are_safe(module_dir: Path) -> None:
    defaults = variable_defaults(module_dir)
    assert {name: defaults.get(name) for name in SAFE_POSTURE} == SAFE_POSTURE
    assert defaults.get("billing_mode") == "PAY_PER_REQUEST"


def test_root_defaults_are_safe_and_match_the_service_settings(terraform_root: Path) -> None:
    defaults = variable_defaults(terraform_root)
    assert {name: defaults.get(name) for name in SAFE_POSTURE} == SAFE_POSTURE
    assert defaults.get("dynamodb_endpoint") is None
    service = Settings()
    assert (defaults.get("name_prefix"), defaults.get("region")) == (service.table_prefix, service.aws_region)


def test_production_variables_are_safe(terraform_root: Path) -> None:
    effective = {**variable_defaults(terraform_root), **tfvars(terraform_root / "envs" / "prod.tfvars")}
    assert {name: effective.get(name) for name in SAFE_POSTURE} == SAFE_POSTURE
    assert effective.get("dynamodb_endpoint") is None, "production must talk to AWS, not an emulator"
    assert effective.get("alarms_enabled") is True


def test_every_table_takes_its_posture_from_the_root_variables(terraform_root: Path) -> None:
    for call in table_calls(terraform_root):
        wiring = {name: expression(call.arguments.get(name)) for name in POSTURE_ARGUMENTS}
        assert wiring == {name: f"var.{name}" for name in POSTURE_ARGUMENTS}, f"module.{call.label}"
        assert call.literal_argument("billing_mode", "PAY_PER_REQUEST") == "PAY_PER_REQUEST", f"module.{call.label}"


def test_the_table_resource_applies_the_posture_inputs(module_dir: Path) -> None:
    tables = resources(merged_documents(module_dir), "aws_dynamodb_table")
    assert set(tables) == {"this", "autoscaled"}
    for name, body in tables.items():
        settings = {
            "billing_mode": expression(body["billing_mode"]),
            "deletion_protection_enabled": expression(body["deletion_protection_enabled"]),
            "point_in_time_recovery": [
                expression(block["enabled"]) for block in nested_blocks(body, "point_in_time_recovery")
            ],
            "server_side_encryption": [
                expression(block["enabled"]) for block in nested_blocks(body, "server_side_encryption")
            ],
        }
        assert settings == {
            "billing_mode": "var.billing_mode",
            "deletion_protection_enabled": "var.deletion_protection_enabled",
            "point_in_time_recovery": ["var.point_in_time_recovery_enabled"],
            "server_side_encryption": ["var.server_side_encryption_enabled"],
        }, f"aws_dynamodb_table.{name}"


def test_the_two_table_resources_are_the_same_table(module_dir: Path) -> None:
    """`this` and `autoscaled` differ only in count and lifecycle; an edit to one must reach both."""
    tables = resources(merged_documents(module_dir), "aws_dynamodb_table")

    def body_without_switches(body: Mapping[str, Any]) -> dict[str, Any]:
        return {key: value for key, value in body.items() if key not in {"count", "lifecycle", "__comments__"}}

    assert body_without_switches(tables["this"]) == body_without_switches(tables["autoscaled"])
    ignored = [
        [expression(attribute) for attribute in block["ignore_changes"]]
        for block in nested_blocks(tables["autoscaled"], "lifecycle")
    ]
    assert ignored == [["read_capacity", "write_capacity"]]


def test_attribute_blocks_come_from_the_computed_key_set_only(module_dir: Path) -> None:
    for name, body in resources(merged_documents(module_dir), "aws_dynamodb_table").items():
        assert "attribute" not in body, f"aws_dynamodb_table.{name} has a static attribute block"
        attributes = dynamic_blocks(body, "attribute")
        assert [expression(block["for_each"]) for block in attributes] == ["local.key_attribute_types"], name


# --- The module's computed attribute set, evaluated by Terraform itself -------------------------


def evaluate_module_local(
    terraform: Path, module_dir: Path, workdir: Path, inputs: Mapping[str, Any], local: str
) -> Any:
    """Evaluate `local.<local>` of the module for `inputs` with `terraform console`.

    Only variables.tf and locals.tf are copied: they hold no resource, so no provider is needed,
    and the variables' validation blocks run on the inputs as in a real plan.
    """
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(module_dir / name, workdir / name)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(inputs), encoding="utf-8")
    completed = subprocess.run(
        [str(terraform), "console", "-no-color"],
        input=f"jsonencode(local.{local})\n",
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    # `terraform console` exits 0 even when a validation fails: look for its diagnostics too.
    assert completed.returncode == 0 and "Error:" not in completed.stderr, completed.stderr
    return json.loads(json.loads(completed.stdout))


def _module_inputs(call: TableCall, table: Table) -> dict[str, Any]:
    inputs: dict[str, Any] = {
        name: call.literal_argument(name)
        for name in ("hash_key", "hash_key_type", "range_key", "range_key_type", "global_secondary_indexes")
        if name in call.arguments
    }
    return {**inputs, "name": f"dev-{table.name}"}


def test_attribute_definitions_are_exactly_the_key_attributes(
    terraform: Path, terraform_root: Path, module_dir: Path, tmp_path: Path
) -> None:
    tables, problems = terraform_tables(terraform_root)
    assert problems == []
    by_name = {table.name: table for table in tables}
    for call in table_calls(terraform_root):
        table = by_name[call.table_name()]
        workdir = tmp_path / call.label
        workdir.mkdir()

        attributes = evaluate_module_local(
            terraform, module_dir, workdir, _module_inputs(call, table), "key_attribute_types"
        )

        expected = {
            definition["AttributeName"]: definition["AttributeType"] for definition in table.attribute_definitions()
        }
        assert attributes == expected, f"module.{call.label}"


def test_one_attribute_with_two_types_fails_the_plan(terraform: Path, module_dir: Path, tmp_path: Path) -> None:
    inputs = {
        "name": "dev-Broken",
        "hash_key": "Id",
        "global_secondary_indexes": [
            {"name": "ById", "hash_key": "Id", "hash_key_type": "N", "projection_type": "ALL"}
        ],
    }
    with pytest.raises(AssertionError, match="Invalid function argument"):
        evaluate_module_local(terraform, module_dir, tmp_path, inputs, "key_attribute_types")


@pytest.mark.parametrize(
    ("index", "message"),
    [
        ({"name": "ByX", "hash_key": "X", "hash_key_type": "S", "projection_type": "INCLUDE"}, "non_key_attributes"),
        ({"name": "ByX", "hash_key": "X", "hash_key_type": "S", "projection_type": "SOME"}, "projection_type"),
        ({"name": "ByX", "hash_key": "X", "projection_type": "ALL"}, "hash_key_type"),
    ],
)
def test_malformed_indexes_are_rejected(
    terraform: Path, module_dir: Path, tmp_path: Path, index: dict[str, Any], message: str
) -> None:
    inputs = {"name": "dev-Broken", "hash_key": "Id", "global_secondary_indexes": [index]}
    with pytest.raises(AssertionError, match=message):
        evaluate_module_local(terraform, module_dir, tmp_path, inputs, "key_attribute_types")


# --- Documentation ------------------------------------------------------------------------------


def test_module_readme_documents_every_input_and_output(module_dir: Path) -> None:
    readme = (module_dir / "README.md").read_text(encoding="utf-8")
    documents = merged_documents(module_dir)
    names = [*labelled_blocks(documents, "variable"), *labelled_blocks(documents, "output")]
    undocumented = [name for name in names if f"| `{name}` |" not in readme]
    assert undocumented == []
