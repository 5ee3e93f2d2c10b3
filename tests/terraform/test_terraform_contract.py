"""The Terraform contract: infra_terraform provisions exactly the tables the code declares.

infra_terraform/main.tf makes every table with one `for_each = var.tables` call of
modules/dynamodb_table, and var.tables is the generated data file tables.auto.tfvars.json. The .tf
files are parsed with python-hcl2 (no provider, no `terraform init`) and the data file with json: the
call must pass each entry's keys and indexes through as they are, and each entry is read back into a
`Table` declaration and compared with `graphql_api.repositories.ALL_TABLES`; a mismatch names the
table, the index and both values. `terraform console`, which needs no provider, evaluates the call's
per-table arguments on the data file and the module's attribute definitions, so Terraform itself
confirms what the Python reading assumes. The shared arguments (security posture, alarms, tags) are
set once, from the root variables; the posture is checked on the module defaults, on that wiring and
on the production variables. That the data file is current is tests/terraform/test_tables_data_file.py.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

import pytest

from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_streams import migration_streams
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.settings import Settings
from graphql_api.tables import Index, Key, KeyType, Table
from tests.terraform.hcl import expression, load_hcl, terraform_console

Projection = Literal["ALL", "KEYS_ONLY", "INCLUDE"]

MODULE_SOURCE = "./modules/dynamodb_table"
TABLES_DATA = "tables.auto.tfvars.json"
SINGLE_TABLE_DATA = "single_table.auto.tfvars.json"
KEY_TYPES: dict[str, KeyType] = {"S": "S", "N": "N", "B": "B"}
PROJECTIONS: dict[str, Projection] = {"ALL": "ALL", "KEYS_ONLY": "KEYS_ONLY", "INCLUDE": "INCLUDE"}
# What modules/dynamodb_table/locals.tf fills in for an index attribute the caller leaves out.
INDEX_DEFAULTS: dict[str, Any] = {"range_key": None, "range_key_type": "S", "non_key_attributes": []}
# How the one module call passes each entry of var.tables: argument -> its exact expression.
PER_TABLE_WIRING = {
    "name": '"${var.name_prefix}${each.key}"',
    "hash_key": "each.value.hash_key",
    "hash_key_type": "each.value.hash_key_type",
    "range_key": "each.value.range_key",
    "range_key_type": 'coalesce(each.value.range_key_type, "S")',
    "global_secondary_indexes": "each.value.global_secondary_indexes",
    # With single_table_enabled, the tables replication reads that declare no stream get the migration's.
    "stream_enabled": "each.value.stream_view_type != null || "
    "(var.single_table_enabled && contains(var.single_table_replication.tables, each.key))",
    "stream_view_type": "coalesce(each.value.stream_view_type, var.single_table_replication.stream_view_type)",
    "ttl_attribute": "each.value.ttl_attribute",
}
# Root variables that every table's module call must pass through, so that envs/*.tfvars decide.
POSTURE_ARGUMENTS = (
    "point_in_time_recovery_enabled",
    "deletion_protection_enabled",
    "server_side_encryption_enabled",
    "server_side_encryption_kms_key_arn",
)
# Everything the tables share: set once in the root call, each from the root variable of its name.
SHARED_ARGUMENTS = (*POSTURE_ARGUMENTS, "alarms_enabled", "alarm_sns_topic_arn", "tags")
SAFE_POSTURE = {
    "point_in_time_recovery_enabled": True,
    "deletion_protection_enabled": True,
    "server_side_encryption_enabled": True,
}


# --- Reading HCL as python-hcl2 serialises it -----------------------------------------------


class NotLiteralError(ValueError):
    """An HCL expression that is not a literal (a reference, a call, a template)."""


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


# --- The tables' module call and its data, back into table declarations ---------------------


class ContractError(ValueError):
    """Terraform the contract cannot read (a malformed table entry, an unknown key type...)."""


@dataclass(frozen=True)
class TableCall:
    """A root call of modules/dynamodb_table: its label and its arguments as parsed."""

    label: str
    arguments: dict[str, Any]

    def wired(self, name: str) -> str | None:
        """The source of an argument's expression, whitespace-normalised; None when it is not set."""
        if name not in self.arguments:
            return None
        return " ".join(hcl_source(self.arguments[name]).split())


def hcl_source(value: Any) -> str:
    """HCL source for an argument as python-hcl2 serialises it: expressions, templates, literals."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if _is_quoted(value) else expression(value)
    if isinstance(value, int | float):
        return repr(value)
    raise ContractError(f"cannot read {value!r} back as an HCL expression")


def table_calls(root: Path) -> list[TableCall]:
    calls = labelled_blocks(merged_documents(root), "module").items()
    return [TableCall(label, body) for label, body in calls if literal(body.get("source")) == MODULE_SOURCE]


def the_table_call(root: Path) -> TableCall:
    calls = table_calls(root)
    if len(calls) != 1:
        labels = ", ".join(f"module.{call.label}" for call in calls) or "none"
        raise ContractError(f"expected one for_each call of {MODULE_SOURCE} for all tables, found {labels}")
    return calls[0]


def wiring_problems(call: TableCall) -> list[str]:
    """How the module call departs from passing each entry of var.tables through as it is."""
    expected = {"for_each": "var.tables", **PER_TABLE_WIRING}
    return [
        f"module.{call.label}: {name} must be {source}, not {call.wired(name) or 'left out'}"
        for name, source in expected.items()
        if call.wired(name) != source
    ]


def load_tables_data(root: Path) -> dict[str, Any]:
    """The `tables` value of the generated data file, by table name."""
    document = json.loads((root / TABLES_DATA).read_text(encoding="utf-8"))
    tables = document.get("tables") if isinstance(document, dict) else None
    if not isinstance(tables, dict):
        raise ContractError(f"{TABLES_DATA} must hold an object with a `tables` object")
    return tables


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
        raise ContractError(f"{table}: every global secondary index needs a name, got {raw!r}")
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


def table_from_inputs(name: str, inputs: Any) -> Table:
    """The declaration one table's module inputs provision: an entry of var.tables, or what Terraform
    evaluated the call's arguments to (both name the keys as the module does)."""
    if not isinstance(inputs, dict):
        raise ContractError(f"{name}: expected an object of keys and indexes, got {inputs!r}")
    range_key = None
    if inputs.get("range_key") is not None:
        # The call passes coalesce(range_key_type, "S"), like the module's default.
        range_key = _key(inputs["range_key"], inputs.get("range_key_type") or "S", f"{name}: range key")
    indexes = inputs.get("global_secondary_indexes") or []
    if not isinstance(indexes, list):
        raise ContractError(f"{name}: global_secondary_indexes must be a list")
    return Table(
        name=name,
        hash_key=_key(inputs.get("hash_key"), inputs.get("hash_key_type"), f"{name}: hash key"),
        range_key=range_key,
        indexes=tuple(_index(name, index) for index in indexes),
        ttl_attribute=inputs.get("ttl_attribute"),
    )


def terraform_tables(root: Path) -> tuple[list[Table], list[str]]:
    """The tables the root configuration provisions, and the problems that kept any unread.

    One for_each call of the module provisions every entry of var.tables, which Terraform reads from
    the generated data file; the call must pass each entry's keys and indexes through unchanged.
    """
    try:
        call = the_table_call(root)
        data = load_tables_data(root)
    except ContractError as error:
        return [], [str(error)]
    tables: list[Table] = []
    problems = wiring_problems(call)
    for name, inputs in data.items():
        try:
            tables.append(table_from_inputs(name, inputs))
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
    if code.ttl_attribute != terraform.ttl_attribute:
        differences.append(
            f"{table}: time to live is {code.ttl_attribute or 'off'} in code, {terraform.ttl_attribute or 'off'} "
            "in Terraform"
        )
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


def test_every_table_entry_is_read(terraform_root: Path) -> None:
    tables, problems = terraform_tables(terraform_root)
    assert problems == []
    assert len(tables) == len(load_tables_data(terraform_root)) >= len(ALL_TABLES)


def test_the_tables_are_one_for_each_call_with_the_shared_arguments_set_once(terraform_root: Path) -> None:
    """N tables are N entries of data: one module call, whose shared arguments appear once, not per table."""
    call = the_table_call(terraform_root)
    assert call.wired("for_each") == "var.tables"
    assert {name: call.wired(name) for name in SHARED_ARGUMENTS} == {name: f"var.{name}" for name in SHARED_ARGUMENTS}
    # The tables' file sets each shared argument once (other files, such as the service's, may tag their own).
    sources = (terraform_root / "main.tf").read_text(encoding="utf-8")
    settings = {name: len(re.findall(rf"^\s*{name}\s*=", sources, flags=re.MULTILINE)) for name in SHARED_ARGUMENTS}
    assert settings == dict.fromkeys(SHARED_ARGUMENTS, 1)
    # ...and the data carries keys and indexes only, nothing the tables share.
    for name, entry in load_tables_data(terraform_root).items():
        assert set(entry) & {*SHARED_ARGUMENTS, "billing_mode"} == set(), name


def test_every_other_argument_is_the_same_for_every_table_or_named_here(terraform_root: Path) -> None:
    call = the_table_call(terraform_root)
    per_table = {
        name for name in call.arguments if not name.startswith("__") and re.search(r"\beach\.", call.wired(name) or "")
    }
    # The UserErrors alarm is per account and region, so exactly one table carries it.
    assert per_table == {*PER_TABLE_WIRING, "user_errors_alarm_enabled"}
    assert call.wired("user_errors_alarm_enabled") == "each.key == local.user_errors_alarm_table"


def test_the_user_errors_alarm_sits_on_a_provisioned_table(terraform_root: Path) -> None:
    locals_ = {
        key: value for block in merged_documents(terraform_root).get("locals", []) for key, value in block.items()
    }
    assert literal(locals_["user_errors_alarm_table"]) in load_tables_data(terraform_root)


def test_moved_blocks_lead_to_provisioned_tables(terraform_root: Path) -> None:
    """moved.tf carries the state of the former one-call-per-table modules to their instances."""
    data = load_tables_data(terraform_root)
    current_calls = {f"module.{call.label}" for call in table_calls(terraform_root)}
    for block in merged_documents(terraform_root).get("moved", []):
        source, target = expression(block["from"]), expression(block["to"])
        match = re.fullmatch(r'module\.table\["([A-Za-z0-9_.-]+)"\]', target)
        assert match is not None, target
        assert match.group(1) in data, target
        assert source.startswith("module."), source
        assert source not in current_calls, source


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
            _with_table(ALL_TABLES, replace(ORDER_ITEMS.table, ttl_attribute="ExpiresAt")),
            ["OrderItems: time to live is off in code, ExpiresAt in Terraform"],
            id="time-to-live",
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


def _copy_of_the_root(terraform_root: Path, copy: Path) -> Path:
    for path in (*terraform_root.glob("*.tf"), terraform_root / TABLES_DATA):
        shutil.copy(path, copy / path.name)
    shutil.copytree(terraform_root / "modules", copy / "modules")
    return copy


def test_an_altered_data_file_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    """End to end: change the data Terraform reads and the contract names the change."""
    root = _copy_of_the_root(terraform_root, tmp_path)
    document = json.loads((root / TABLES_DATA).read_text(encoding="utf-8"))
    status_index = next(
        index for index in document["tables"]["Orders"]["global_secondary_indexes"] if index["name"] == "StatusIndex"
    )
    status_index["range_key"] = "CreatedAt"
    (root / TABLES_DATA).write_text(json.dumps(document), encoding="utf-8")

    tables, problems = terraform_tables(root)

    assert problems == []
    assert table_differences(ALL_TABLES, tables) == [
        "Orders: GSI StatusIndex range key is OrderDate in code, CreatedAt in Terraform"
    ]


def test_a_table_missing_from_the_data_file_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    root = _copy_of_the_root(terraform_root, tmp_path)
    document = json.loads((root / TABLES_DATA).read_text(encoding="utf-8"))
    del document["tables"]["Products"]
    (root / TABLES_DATA).write_text(json.dumps(document), encoding="utf-8")

    tables, _ = terraform_tables(root)

    assert table_differences(ALL_TABLES, tables) == [
        "Products: declared in graphql_api/tables.py but not provisioned in infra_terraform"
    ]


def test_a_rewired_argument_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    """The data is only half the contract: the call must pass it on unchanged."""
    root = _copy_of_the_root(terraform_root, tmp_path)
    source = (root / "main.tf").read_text(encoding="utf-8")
    rewired = re.sub(r"(?m)^(\s*hash_key\s*=\s*)each\.value\.hash_key$", r"\1var.key", source)
    assert rewired != source
    (root / "main.tf").write_text(rewired, encoding="utf-8")

    _, problems = terraform_tables(root)

    assert problems == ["module.table: hash_key must be each.value.hash_key, not var.key"]


def test_a_second_table_call_is_reported(terraform_root: Path, tmp_path: Path) -> None:
    root = _copy_of_the_root(terraform_root, tmp_path)
    (root / "carts.tf").write_text(
        'module "carts" {\n  source   = "./modules/dynamodb_table"\n  name     = "Carts"\n  hash_key = "CartId"\n}\n',
        encoding="utf-8",
    )

    tables, problems = terraform_tables(root)

    assert (tables, problems) == (
        [],
        [f"expected one for_each call of {MODULE_SOURCE} for all tables, found module.carts, module.table"],
    )


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
    call = the_table_call(terraform_root)
    wiring = {name: call.wired(name) for name in POSTURE_ARGUMENTS}
    assert wiring == {name: f"var.{name}" for name in POSTURE_ARGUMENTS}, f"module.{call.label}"
    # On-demand billing is the module's default, and no table overrides it.
    assert call.wired("billing_mode") is None, f"module.{call.label}"


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


# --- The module's inputs and computed attribute set, evaluated by Terraform itself --------------


def evaluate_module_local(
    terraform: Path, module_dir: Path, workdir: Path, inputs: Mapping[str, Any], local: str
) -> Any:
    """Evaluate `local.<local>` of the module for `inputs` (its variables.tf and locals.tf only)."""
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(module_dir / name, workdir / name)
    (workdir / "terraform.tfvars.json").write_text(json.dumps(inputs), encoding="utf-8")
    return terraform_console(terraform, workdir, f"local.{local}")


EACH = re.compile(r"\beach\.(key|value)\b")
EACH_RENAMED = r"each_\1"


def evaluate_table_inputs(
    terraform: Path, root: Path, workdir: Path, single_table_enabled: bool = False
) -> dict[str, dict[str, Any]]:
    """What each instance of the table call receives, by table, as Terraform evaluates it.

    The root's variables.tf and data files are copied; the call's per-table arguments become a `for`
    expression over var.tables (each.key and each.value renamed to its loop variables).
    """
    shutil.copy(root / "variables.tf", workdir / "variables.tf")
    shutil.copy(root / TABLES_DATA, workdir / TABLES_DATA)
    shutil.copy(root / SINGLE_TABLE_DATA, workdir / SINGLE_TABLE_DATA)
    (workdir / "terraform.tfvars.json").write_text(json.dumps({"single_table_enabled": single_table_enabled}))
    call = the_table_call(root)
    arguments = "\n".join(
        f"      {name} = {EACH.sub(EACH_RENAMED, call.wired(name) or 'null')}" for name in PER_TABLE_WIRING
    )
    (workdir / "table_inputs.tf").write_text(
        "locals {\n  table_inputs = {\n    for each_key, each_value in var.tables : each_key => {\n"
        f"{arguments}\n    }}\n  }}\n}}\n",
        encoding="utf-8",
    )
    inputs: dict[str, dict[str, Any]] = terraform_console(terraform, workdir, "local.table_inputs")
    return inputs


@pytest.fixture(scope="module")
def table_inputs(terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return evaluate_table_inputs(terraform, terraform_root, tmp_path_factory.mktemp("root"))


def test_terraform_reads_the_declared_tables_from_the_call_and_the_data(
    terraform_root: Path, table_inputs: dict[str, Any]
) -> None:
    """The contract again, with Terraform evaluating the call instead of Python reading it."""
    tables = [table_from_inputs(name, inputs) for name, inputs in table_inputs.items()]
    differences = table_differences(ALL_TABLES, tables)
    assert differences == [], _report(differences)
    prefix = variable_defaults(terraform_root)["name_prefix"]
    assert {name: inputs["name"] for name, inputs in table_inputs.items()} == {
        name: f"{prefix}{name}" for name in table_inputs
    }
    streams = {table.name: table.stream for table in ALL_TABLES}
    assert {name: inputs["stream_enabled"] for name, inputs in table_inputs.items()} == {
        name: streams[name] is not None for name in table_inputs
    }
    assert {name: inputs["stream_view_type"] for name, inputs in table_inputs.items() if streams[name]} == {
        name: view for name, view in streams.items() if view
    }


def test_with_single_table_enabled_every_table_replication_reads_has_a_stream(
    terraform: Path, terraform_root: Path, table_inputs: dict[str, Any], tmp_path: Path
) -> None:
    """`migrate replicate` reads a stream on every old table the layout holds: Terraform turns the migration's on
    where a table declares none, so that an apply keeps them (and `migrate start` has none to turn on)."""
    enabled = evaluate_table_inputs(terraform, terraform_root, tmp_path, single_table_enabled=True)
    declared = {table.name: table.stream for table in ALL_TABLES}
    streamed = {name: inputs["stream_view_type"] for name, inputs in enabled.items() if inputs["stream_enabled"]}
    migration = migration_streams()
    assert streamed == {**{name: view for name, view in declared.items() if view}, **migration}
    assert set(migration) >= {placement.entity.table.name for placement in Layout().placements.values()} - {
        name for name, view in declared.items() if view
    }
    # Without the flag, the declared streams only (test_terraform_reads_the_declared_tables_from_the_call_and_the_data).
    assert {name for name, inputs in table_inputs.items() if inputs["stream_enabled"]} == {
        name for name, view in declared.items() if view
    }


def test_attribute_definitions_are_exactly_the_key_attributes(
    terraform: Path, module_dir: Path, table_inputs: dict[str, Any], tmp_path: Path
) -> None:
    declared = {table.name: table for table in ALL_TABLES}
    for name, inputs in table_inputs.items():
        workdir = tmp_path / name
        workdir.mkdir()
        module_inputs = {key: value for key, value in inputs.items() if value is not None}

        attributes = evaluate_module_local(terraform, module_dir, workdir, module_inputs, "key_attribute_types")

        expected = {
            definition["AttributeName"]: definition["AttributeType"]
            for definition in declared[name].attribute_definitions()
        }
        assert attributes == expected, name


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
