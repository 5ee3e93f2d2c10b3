"""The Terraform contract of the service on Lambda: modules/lambda_service and its call in infra_terraform/service.tf.

The .tf files are parsed with python-hcl2 and the computed parts evaluated with `terraform console` (no provider,
no `terraform init`): the configurations given to it hold variables and locals only, copied from the module or
the root, so their types and validation blocks apply as in a plan. Checked: the function runs the handler and
the zip that graphql_api builds (runtime, architecture, handler); its log group, alarms, HTTP API and role are
wired as documented; the role's DynamoDB policy is exactly the (action, resource) pairs it is given, and the
root gives it exactly the generated `api` grants as ARNs of the tables, indexes and streams, end to end from
graphql_api.ops.iam_policy; no wildcard gets in; the root switches are off by default and every environment
file sets only what they take; the files are formatted.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from graphql_api import aws_lambda
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops import iam_policy
from graphql_api.ops.package_lambda import DEFAULT_OUTPUT, PLATFORM, PYTHON_VERSION
from tests.terraform.hcl import blocks, console, documents, load_hcl, locals_of, resources, source, unquoted
from tests.terraform.hcl import terraform_console as evaluate

MODULE = Path("modules") / "lambda_service"
MODULE_FILES = (
    "main.tf",
    "variables.tf",
    "outputs.tf",
    "versions.tf",
    "locals.tf",
    "iam.tf",
    "alarms.tf",
    "cdn.tf",
    "README.md",
)
ACCOUNT_ARN = "arn:aws:dynamodb:us-east-1:123456789012:table/"
STREAM_LABEL = "2024-05-01T00:00:00.000"
ENVIRONMENT = {"TABLE_PREFIX": "dev-", "AUTH_ISSUER": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_abc"}


# --- Reading HCL ------------------------------------------------------------------------------------


def defaults(directory: Path) -> dict[str, Any]:
    return {name: body.get("default") for name, body in blocks(documents(directory), "variable").items()}


@pytest.fixture(scope="module")
def module_dir(terraform_root: Path) -> Path:
    return terraform_root / MODULE


@pytest.fixture(scope="module")
def module(module_dir: Path) -> dict[str, list[Any]]:
    return documents(module_dir)


@pytest.fixture(scope="module")
def root(terraform_root: Path) -> dict[str, list[Any]]:
    return documents(terraform_root)


# --- Evaluating with terraform console ----------------------------------------------------------------


def refusal(terraform: Path, workdir: Path, expression: str) -> str:
    completed = console(terraform, workdir, expression)
    assert "Error:" in completed.stderr, completed.stdout
    return " ".join(completed.stderr.split())


def module_inputs(permissions: list[dict[str, str]] | None = None, **changes: Any) -> dict[str, Any]:
    """Valid inputs of the module (one GetItem on Orders unless `permissions` are given), with `changes`."""
    if permissions is None:
        permissions = [{"action": "dynamodb:GetItem", "resource": table_arn("Orders")}]
    return {
        "name": "dev-graphql-api",
        "package_path": "graphql-api-lambda.zip",
        "environment": ENVIRONMENT,
        "cursor_secret": "a-cursor-secret-of-some-length",
        "dynamodb_permissions": permissions,
        **changes,
    }


def module_workdir(module_dir: Path, workdir: Path, inputs: Mapping[str, Any], *extra_locals: str) -> Path:
    """The module's variables and locals (plus named locals of its other files), with `inputs`."""
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(module_dir / name, workdir / name)
    if extra_locals:
        found = locals_of(documents(module_dir))
        body = "\n".join(f"  {name} = {source(found[name])}" for name in extra_locals)
        (workdir / "extra_locals.tf").write_text(f"locals {{\n{body}\n}}\n", encoding="utf-8")
    (workdir / "terraform.tfvars.json").write_text(json.dumps(inputs), encoding="utf-8")
    return workdir


def table_arn(table: str, prefix: str = "dev-") -> str:
    return f"{ACCOUNT_ARN}{prefix}{table}"


def expected_arn(grant: iam_policy.Grant) -> str:
    """The ARN a grant must become: the table's, an index's, or the stream's."""
    if grant.stream:
        return f"{table_arn(grant.table)}/stream/{STREAM_LABEL}"
    if grant.index is not None:
        return f"{table_arn(grant.table)}/index/{grant.index}"
    return table_arn(grant.table)


SINGLE_TABLE_ARN = f"{ACCOUNT_ARN}dev-{iam_policy.SINGLE_TABLE.table.name}"


def resolved_permissions(
    terraform: Path, terraform_root: Path, workdir: Path, single_table_enabled: bool = False
) -> dict[str, list[dict[str, str]]]:
    """service.tf's `dynamodb_permissions` on the generated data, with the table module's outputs made up, and the
    module call's `migration_permissions` (under the key `module.migration_permissions`).

    The root's variables.tf and data files are copied; `table_arns` and `table_stream_arns` (from
    module.table in service.tf) are given as the ARNs AWS would make for the prefix dev-, and the single table's
    (single_table.tf) likewise when `single_table_enabled`, else null as its absent resource gives.
    """
    shutil.copy(terraform_root / "variables.tf", workdir / "variables.tf")
    for data in terraform_root.glob("*.auto.tfvars.json"):
        shutil.copy(data, workdir / data.name)
    (workdir / "terraform.tfvars.json").write_text(json.dumps({"single_table_enabled": single_table_enabled}))
    service = load_hcl(terraform_root / "service.tf")
    expression = locals_of(service)["dynamodb_permissions"]
    migration = blocks(service, "module")["service"]["migration_permissions"]
    arns = {table.name: table_arn(table.name) for table in ALL_TABLES}
    streams = {
        table.name: f"{arns[table.name]}/stream/{STREAM_LABEL}" if table.stream else None for table in ALL_TABLES
    }
    single = SINGLE_TABLE_ARN if single_table_enabled else None
    made_up = {
        "table_arns": arns,
        "table_stream_arns": streams,
        "single_table_arn": single,
        "single_table_stream_arn": single and f"{single}/stream/{STREAM_LABEL}",
    }
    (workdir / "resolve.tf.json").write_text(json.dumps({"locals": made_up}), encoding="utf-8")
    (workdir / "resolve.tf").write_text(
        f"locals {{\n  dynamodb_permissions = {source(expression)}\n"
        f"  migration_permissions = {source(migration)}\n}}\n",
        encoding="utf-8",
    )
    permissions: dict[str, list[dict[str, str]]] = evaluate(terraform, workdir, "local.dynamodb_permissions")
    permissions["module.migration_permissions"] = evaluate(terraform, workdir, "local.migration_permissions")
    return permissions


@pytest.fixture(scope="module")
def root_permissions(
    terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, str]]]:
    return resolved_permissions(terraform, terraform_root, tmp_path_factory.mktemp("root"))


@pytest.fixture(scope="module")
def root_permissions_with_single_table(
    terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, list[dict[str, str]]]:
    return resolved_permissions(terraform, terraform_root, tmp_path_factory.mktemp("root"), single_table_enabled=True)


# --- The module's shape -------------------------------------------------------------------------------


def test_the_module_has_a_file_per_concern(module_dir: Path) -> None:
    assert sorted(path.name for path in module_dir.iterdir()) == sorted(MODULE_FILES)


def test_it_pins_the_provider_of_the_tables_module(module_dir: Path, terraform_root: Path) -> None:
    def constraints(directory: Path) -> tuple[Any, Any]:
        (block,) = load_hcl(directory / "versions.tf")["terraform"]
        return unquoted(block["required_version"]), block["required_providers"][0]["aws"]

    assert constraints(module_dir) == constraints(terraform_root / "modules" / "dynamodb_table")


def test_the_function_runs_the_handler_of_the_zip_graphql_api_builds(module: dict[str, Any], module_dir: Path) -> None:
    function = resources(module)["aws_lambda_function.this"]
    wiring = {name: source(function[name]) for name in ("filename", "source_code_hash", "handler", "runtime")}
    assert wiring == {
        "filename": "var.package_path",
        "source_code_hash": "filebase64sha256(var.package_path)",
        "handler": "var.handler",
        "runtime": "var.runtime",
    }
    module_defaults = defaults(module_dir)
    handler_module, handler_name = unquoted(module_defaults["handler"]).rsplit(".", 1)
    assert (handler_module, handler_name) == (aws_lambda.__name__, "handler")
    assert callable(aws_lambda.handler)
    assert unquoted(module_defaults["runtime"]) == f"python{PYTHON_VERSION}"
    assert [source(value) for value in function["architectures"]] == ["local.architecture"]
    assert PLATFORM.endswith("_" + unquoted(locals_of(module)["architecture"]))


def test_the_root_deploys_the_zip_where_package_lambda_writes_it(terraform_root: Path) -> None:
    service_defaults = locals_of(load_hcl(terraform_root / "service.tf"))["service_defaults"]
    assert unquoted(service_defaults["package_path"]) == "${path.root}/../" + DEFAULT_OUTPUT.as_posix()


def test_the_function_logs_to_its_own_group_with_retention(module: dict[str, Any]) -> None:
    found = resources(module)
    group = found["aws_cloudwatch_log_group.this"]
    assert (source(group["name"]), source(group["retention_in_days"])) == (
        "local.log_group_name",
        "var.log_retention_days",
    )
    assert unquoted(locals_of(module)["log_group_name"]) == "/aws/lambda/${var.name}"
    assert [source(item) for item in found["aws_lambda_function.this"]["depends_on"]] == [
        "aws_cloudwatch_log_group.this",
        "aws_iam_role_policy.logs",
    ]


def test_the_http_api_sends_every_request_to_the_function_as_payload_2(module: dict[str, Any]) -> None:
    found = resources(module)
    integration = found["aws_apigatewayv2_integration.this"]
    assert {
        name: source(integration[name]) for name in ("integration_type", "integration_uri", "payload_format_version")
    } == {
        "integration_type": "AWS_PROXY",
        "integration_uri": "aws_lambda_function.this.invoke_arn",
        "payload_format_version": "2.0",
    }
    assert source(found["aws_apigatewayv2_route.default"]["route_key"]) == "$default"
    assert "cors_configuration" not in found["aws_apigatewayv2_api.this"], "the app answers CORS itself"
    permission = found["aws_lambda_permission.http_api"]
    assert source(permission["principal"]) == "apigateway.amazonaws.com"
    assert source(permission["source_arn"]) == "${aws_apigatewayv2_api.this.execution_arn}/*/*"


def test_the_role_writes_its_own_logs_and_has_the_dynamodb_policy_only(module: dict[str, Any]) -> None:
    found = resources(module)
    assert {name for name in found if name.startswith("aws_iam")} == {
        "aws_iam_role.this",
        "aws_iam_role_policy.logs",
        "aws_iam_role_policy.dynamodb",
    }
    assert "lambda.amazonaws.com" in source(found["aws_iam_role.this"]["assume_role_policy"])
    assert source(found["aws_iam_role_policy.dynamodb"]["policy"]) == "jsonencode(local.dynamodb_policy)"
    logs = source(found["aws_iam_role_policy.logs"]["policy"])
    assert "${aws_cloudwatch_log_group.this.arn}:log-stream:*" in logs
    assert "managed_policy_arns" not in found["aws_iam_role.this"]


def test_no_iam_action_or_dynamodb_resource_in_the_module_is_a_wildcard(module_dir: Path, terraform_root: Path) -> None:
    for path in [*module_dir.glob("*.tf"), terraform_root / "service.tf"]:
        text = path.read_text(encoding="utf-8")
        assert re.findall(r'"[a-z0-9-]+:[A-Za-z]*\*"', text) == [], path.name  # "dynamodb:*", "logs:Put*"
        assert re.findall(r'(?i)resource\s*=\s*"\*"', text) == [], path.name
        assert "table/*" not in text, path.name
        assert "/index/*" not in text, path.name
        assert "/stream/*" not in text, path.name


def test_the_alarms_watch_errors_throttles_and_p99_duration(
    terraform: Path, module: dict[str, Any], module_dir: Path, tmp_path: Path
) -> None:
    workdir = module_workdir(module_dir, tmp_path, module_inputs(), "alarms")
    alarms = evaluate(terraform, workdir, "local.alarms")
    assert {metric: alarm["statistic"] for metric, alarm in alarms.items()} == {
        "Errors": "Sum",
        "Throttles": "Sum",
        "Duration": "p99",
    }
    alarm = resources(module)["aws_cloudwatch_metric_alarm.function"]
    assert (source(alarm["namespace"]), source(alarm["metric_name"])) == ("AWS/Lambda", "each.key")
    assert "FunctionName" in source(alarm["dimensions"])


def test_alarms_off_means_none(terraform: Path, module_dir: Path, tmp_path: Path) -> None:
    workdir = module_workdir(module_dir, tmp_path, module_inputs(alarms_enabled=False), "alarms")
    assert evaluate(terraform, workdir, "local.alarms") == {}


def test_the_readme_documents_every_input_and_output(module_dir: Path, module: dict[str, Any]) -> None:
    readme = (module_dir / "README.md").read_text(encoding="utf-8")
    names = [*blocks(module, "variable"), *blocks(module, "output")]
    assert [name for name in names if f"| `{name}` |" not in readme] == []


# --- The DynamoDB policy: exactly the generated grants, as ARNs, and nothing else -------------------------


def test_the_root_turns_each_generated_grant_into_its_arn(
    root_permissions_with_single_table: dict[str, list[dict[str, str]]],
) -> None:
    for part, accesses in iam_policy.PARTS.items():
        expected = [{"action": grant.action, "resource": expected_arn(grant)} for grant in iam_policy.grants(accesses)]
        assert root_permissions_with_single_table[part] == expected, part
    migration = root_permissions_with_single_table["migration"]
    assert {permission["resource"].split("/index/")[0] for permission in migration} == {SINGLE_TABLE_ARN}
    assert root_permissions_with_single_table["module.migration_permissions"] == migration


def test_without_the_single_table_the_root_leaves_the_migration_part_out(
    root_permissions: dict[str, list[dict[str, str]]],
    root_permissions_with_single_table: dict[str, list[dict[str, str]]],
) -> None:
    assert sorted(root_permissions) == ["api", "migration", "module.migration_permissions", "subscriptions"]
    assert root_permissions["migration"] == root_permissions["module.migration_permissions"] == []
    assert root_permissions["api"] == root_permissions_with_single_table["api"]
    # The stream readers' grants on the single table's stream go with it too.
    single = [
        p for p in root_permissions_with_single_table["subscriptions"] if p["resource"].startswith(SINGLE_TABLE_ARN)
    ]
    assert single
    assert [p for p in root_permissions_with_single_table["subscriptions"] if p not in single] == (
        root_permissions["subscriptions"]
    )


@pytest.mark.parametrize("single_table_enabled", [False, True], ids=["single-table-off", "single-table-on"])
def test_the_lambda_role_allows_exactly_the_api_grants_and_the_migrations_with_its_flag(
    terraform: Path, module_dir: Path, tmp_path: Path, request: pytest.FixtureRequest, single_table_enabled: bool
) -> None:
    """End to end: the declarations, the data file, the root's ARNs (single_table_enabled off or on), the module's
    policy document: the API's statements, and the migration's own (SingleTable<Action>) only with the flag."""
    fixture = "root_permissions_with_single_table" if single_table_enabled else "root_permissions"
    permissions: dict[str, list[dict[str, str]]] = request.getfixturevalue(fixture)
    inputs = module_inputs(permissions["api"], migration_permissions=permissions["module.migration_permissions"])

    policy = evaluate(terraform, module_workdir(module_dir, tmp_path, inputs), "local.dynamodb_policy")

    def allowed(single_table: bool) -> set[tuple[str, str]]:
        return {
            (action, resource)
            for statement in policy["Statement"]
            if statement["Sid"].startswith("SingleTable") == single_table
            for action in statement["Action"]
            for resource in statement["Resource"]
        }

    def as_arns(accesses: tuple[iam_policy.Access, ...]) -> set[tuple[str, str]]:
        return {(grant.action, expected_arn(grant)) for grant in iam_policy.grants(accesses)}

    assert allowed(single_table=False) == as_arns(iam_policy.API)
    assert allowed(single_table=True) == (as_arns(iam_policy.MIGRATION_PART) if single_table_enabled else set())
    statements = sum(len(statement["Resource"]) for statement in policy["Statement"])
    assert statements == len(allowed(single_table=False)) + len(allowed(single_table=True))
    assert all(statement["Effect"] == "Allow" for statement in policy["Statement"])
    assert [
        statement["Sid"] for statement in policy["Statement"] if not statement["Sid"].startswith("SingleTable")
    ] == (sorted({grant.action.split(":")[1] for grant in iam_policy.grants(iam_policy.API)}))
    assert (SINGLE_TABLE_ARN in json.dumps(policy)) is single_table_enabled
    assert "*" not in json.dumps(policy)


@pytest.mark.parametrize(
    ("permission", "message"),
    [
        pytest.param({"action": "dynamodb:*", "resource": table_arn("Orders")}, "no wildcard", id="action"),
        pytest.param({"action": "dynamodb:Query", "resource": table_arn("*")}, "no wildcard", id="table"),
        pytest.param(
            {"action": "dynamodb:Query", "resource": table_arn("Orders") + "/index/*"}, "no wildcard", id="index"
        ),
        pytest.param(
            {"action": "dynamodb:GetRecords", "resource": table_arn("Orders") + "/stream/*"}, "no wildcard", id="stream"
        ),
        pytest.param(
            {"action": "s3:GetObject", "resource": table_arn("Orders")}, "one DynamoDB action", id="other-service"
        ),
    ],
)
@pytest.mark.parametrize("given_as", ["dynamodb_permissions", "migration_permissions"])
def test_the_module_refuses_a_wildcard_or_foreign_permission(
    terraform: Path, module_dir: Path, tmp_path: Path, permission: dict[str, str], message: str, given_as: str
) -> None:
    inputs = (
        module_inputs([permission]) if given_as == "dynamodb_permissions" else module_inputs(**{given_as: [permission]})
    )
    workdir = module_workdir(module_dir, tmp_path, inputs)
    assert message in refusal(terraform, workdir, "local.dynamodb_policy")


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        pytest.param({"dynamodb_permissions": []}, "python -m graphql_api.ops.iam_policy", id="no-permissions"),
        pytest.param({"environment": {"TABLE_PREFIX": "dev-"}}, "must set AUTH_ISSUER", id="no-issuer"),
        pytest.param({"environment": {**ENVIRONMENT, "AWS_REGION": "eu-west-1"}}, "must not set AWS_*", id="reserved"),
        pytest.param({"environment": {**ENVIRONMENT, "CURSOR_SECRET": "x" * 20}}, "use cursor_secret", id="secret"),
        pytest.param({"cursor_secret": "short"}, "at least 16 characters", id="short-secret"),
        pytest.param({"timeout": 60}, "from 1 to 29", id="timeout"),
    ],
)
def test_the_module_refuses_inputs_the_service_cannot_run_with(
    terraform: Path, module_dir: Path, tmp_path: Path, changes: dict[str, Any], message: str
) -> None:
    workdir = module_workdir(module_dir, tmp_path, module_inputs(**changes))
    assert message in refusal(terraform, workdir, "local.dynamodb_policy")


def test_the_module_accepts_open_access_without_an_issuer(terraform: Path, module_dir: Path, tmp_path: Path) -> None:
    inputs = module_inputs(environment={"AUTH_MODE": "none"})
    assert evaluate(terraform, module_workdir(module_dir, tmp_path, inputs), "var.environment") == {"AUTH_MODE": "none"}


# --- The root: switched off by default, wired to the module, set per environment --------------------------


def test_the_service_and_the_user_pool_are_off_by_default(terraform_root: Path) -> None:
    root_defaults = defaults(terraform_root)
    assert (root_defaults["service"], root_defaults["user_pool"]) == ({"enabled": False}, {"enabled": False})
    assert root_defaults["service_cursor_secret"] is None
    service_defaults = locals_of(load_hcl(terraform_root / "service.tf"))["service_defaults"]
    assert service_defaults["enabled"] is False
    assert locals_of(load_hcl(terraform_root / "cognito.tf"))["user_pool_defaults"]["enabled"] is False


def test_the_root_defaults_are_the_modules(terraform_root: Path, module_dir: Path) -> None:
    service_defaults = locals_of(load_hcl(terraform_root / "service.tf"))["service_defaults"]
    module_defaults = defaults(module_dir)
    shared = ("memory_size", "timeout", "reserved_concurrent_executions", "log_retention_days")
    assert {name: service_defaults[name] for name in shared} == {name: module_defaults[name] for name in shared}


def test_the_root_calls_the_module_once_switched_by_the_service(root: dict[str, Any]) -> None:
    calls = {
        label: body
        for label, body in blocks(root, "module").items()
        if unquoted(body["source"]) == "./" + MODULE.as_posix()
    }
    assert list(calls) == ["service"]
    call = calls["service"]
    assert source(call["count"]) == "local.service.enabled ? 1 : 0"
    assert source(call["dynamodb_permissions"]) == "local.dynamodb_permissions.api"
    assert source(call["cursor_secret"]) == "var.service_cursor_secret"
    sensitive = blocks(root, "variable")["service_cursor_secret"]["sensitive"]
    assert sensitive is True


@pytest.mark.parametrize("environment", ["dev", "prod", "local"])
def test_every_environment_sets_only_what_the_switches_take(
    terraform: Path, terraform_root: Path, tmp_path: Path, environment: str
) -> None:
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    shutil.copy(terraform_root / "envs" / f"{environment}.tfvars", tmp_path / "terraform.tfvars")
    switches = evaluate(terraform, tmp_path, "{ service = var.service, user_pool = var.user_pool }")
    if environment == "local":  # Lambda and Cognito cannot run against DynamoDB Local
        assert switches == {"service": {"enabled": False}, "user_pool": {"enabled": False}}
    else:
        assert switches["service"]["enabled"] is True
        assert switches["user_pool"]["enabled"] is True


def test_an_unknown_switch_attribute_is_refused(terraform: Path, terraform_root: Path, tmp_path: Path) -> None:
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    (tmp_path / "terraform.tfvars.json").write_text(json.dumps({"service": {"enabled": True, "memory": 512}}))
    assert "The service takes enabled, name" in refusal(terraform, tmp_path, "var.service")


def test_the_new_files_are_formatted(terraform: Path, terraform_root: Path) -> None:
    for target in (MODULE.as_posix(), "service.tf", "cognito.tf", "variables.tf", "outputs.tf"):
        completed = subprocess.run(
            [str(terraform), "fmt", "-check", "-diff", "-no-color", target],
            cwd=terraform_root,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert completed.returncode == 0, f"terraform fmt would change {target}:\n{completed.stdout}{completed.stderr}"
