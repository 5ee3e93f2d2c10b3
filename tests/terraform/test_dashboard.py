"""The CloudWatch dashboard: infra_terraform/dashboard.tf (the resource and its inputs) and dashboard_widgets.tf.

dashboard_widgets.tf builds the body from two locals of dashboard.tf, `dashboard_tables` (from module.table) and
`dashboard_services` (from module.service). `terraform console` (no provider, no `terraform init`) evaluates it:
the locals of dashboard.tf are copied with module.table and module.service replaced by stand-ins, the table
instances made from var.tables (the generated data file) as main.tf's for_each makes them, the service from a
made-up function, API and log group. Checked: every table the code declares (graphql_api.repositories.ALL_TABLES)
has its throttles, latency, consumed capacity and errors, by its physical name and its indexes, and nothing
else is on it; a table added to the data is on it with no edit; UserErrors is there once; the service's widgets
are there exactly with the service and name its function, API and log group; every Logs Insights query, the
dashboard's and docs/runbook.md's, reads only fields of the service's log lines, as its own code writes them
(RequestScopeMiddleware's request line and an unexpected error, through graphql_api.logs' JSON formatter), and
compares them only with values they take; the widgets fit the grid; the switch is off by default and set per
environment.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import re
import shutil
import textwrap
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from graphql.error import GraphQLError
from starlette.types import Message, Receive, Scope, Send

from graphql_api.graphql.errors import log_unexpected
from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.logs import JsonLogFormatter, RequestIdFilter
from graphql_api.request_scope import RequestScopeMiddleware, current_scope
from graphql_api.tables import Table
from tests.spec import CODES
from tests.terraform.hcl import blocks, load_hcl, locals_of, resources, source
from tests.terraform.hcl import terraform_console as evaluate

PREFIX = "prod-"
SERVICE = {
    "function_name": "prod-graphql-api",
    "api_id": "a1b2c3d4e5",
    "log_group_name": "/aws/lambda/prod-graphql-api",
}
RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"

# The operations of the service (graphql_api/dynamo: BatchGetItem and Query to read, GetItem before a write, one
# action as PutItem, UpdateItem or DeleteItem, more as TransactWriteItems), whose latency and errors each
# table's widgets must show.
SERVICE_OPERATIONS = ("GetItem", "BatchGetItem", "Query", "PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems")

# The request line's fields, as the README documents them: the dashboard and the runbook's queries rely on them.
REQUEST_FIELDS = {"time", "level", "logger", "message", "requestId", "method", "path", "status", "durationMs"}
REQUEST_FIELDS |= {"operations", "dynamodbRequests", "consumedCapacity", "errorCodes"}


# --- Reading HCL ----------------------------------------------------------------------------------------


# --- Evaluating the body with terraform console ------------------------------------------------------------


def stand_in_for_the_table_instances(root: Path) -> str:
    """module.table as main.tf makes it: one instance per entry of var.tables, named by the call's `name`."""
    (call,) = [body for label, body in blocks(load_hcl(root / "main.tf"), "module").items() if label == "table"]
    assert source(call["for_each"]) == "var.tables"
    name = str(call["name"]).replace("each.key", "table")  # a quoted template, kept as HCL
    return (
        "locals {\n"
        "  module_table = {\n"
        "    for table, entry in var.tables : table => {\n"
        f"      table_name                   = {name}\n"
        "      global_secondary_index_names = [for index in entry.global_secondary_indexes : index.name]\n"
        "    }\n"
        "  }\n"
        "}\n"
    )


def dashboard_workdir(root: Path, workdir: Path, *, service: bool, prefix: str = PREFIX) -> Path:
    """The root's variables and data files, dashboard_widgets.tf, and dashboard.tf's locals on stand-ins."""
    shutil.copy(root / "variables.tf", workdir / "variables.tf")
    for data in root.glob("*.auto.tfvars.json"):
        shutil.copy(data, workdir / data.name)
    shutil.copy(root / "dashboard_widgets.tf", workdir / "dashboard_widgets.tf")
    inputs = locals_of(load_hcl(root / "dashboard.tf"))
    body = "\n".join(
        f"  {name} = {source(value).replace('module.table', 'local.module_table').replace('module.service', 'local.module_service')}"
        for name, value in inputs.items()
    )
    (workdir / "dashboard_inputs.tf").write_text(f"locals {{\n{body}\n}}\n", encoding="utf-8")
    (workdir / "table_instances.tf").write_text(stand_in_for_the_table_instances(root), encoding="utf-8")
    (workdir / "service_instances.tf.json").write_text(
        json.dumps({"locals": {"module_service": [SERVICE] if service else []}}), encoding="utf-8"
    )
    (workdir / "terraform.tfvars.json").write_text(json.dumps({"name_prefix": prefix}), encoding="utf-8")
    return workdir


def dashboard_body(terraform: Path, root: Path, workdir: Path, *, service: bool) -> dict[str, Any]:
    body: dict[str, Any] = evaluate(
        terraform, dashboard_workdir(root, workdir, service=service), "local.dashboard_body"
    )
    return body


@pytest.fixture(scope="module")
def with_service(terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return dashboard_body(terraform, terraform_root, tmp_path_factory.mktemp("with-service"), service=True)


@pytest.fixture(scope="module")
def without_service(terraform: Path, terraform_root: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return dashboard_body(terraform, terraform_root, tmp_path_factory.mktemp("without-service"), service=False)


# --- Reading the widgets -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Metric:
    """One line of a metric widget: [namespace, name, dimension, value, ..., {options}]."""

    namespace: str
    name: str
    dimensions: dict[str, str]
    stat: str | None

    @classmethod
    def parse(cls, line: list[Any], default_stat: str | None) -> Metric:
        options: dict[str, Any] = line[-1] if isinstance(line[-1], dict) else {}
        plain = [item for item in line if not isinstance(item, dict)]
        namespace, name, *pairs = plain
        assert len(pairs) % 2 == 0, line
        dimensions = dict(zip(pairs[::2], pairs[1::2], strict=True))
        return cls(namespace, name, dimensions, options.get("stat", default_stat))


def metrics_of(widget: Mapping[str, Any]) -> list[Metric]:
    properties = widget["properties"]
    return [Metric.parse(line, properties.get("stat")) for line in properties.get("metrics", [])]


def all_metrics(body: Mapping[str, Any]) -> Iterator[Metric]:
    for widget in body["widgets"]:
        if widget["type"] == "metric":
            yield from metrics_of(widget)


def widgets_of_table(body: Mapping[str, Any], physical_name: str) -> list[dict[str, Any]]:
    return [
        widget
        for widget in body["widgets"]
        if widget["type"] == "metric"
        and any(metric.dimensions.get("TableName") == physical_name for metric in metrics_of(widget))
    ]


def the_widget_with(widgets: list[dict[str, Any]], metric_name: str) -> dict[str, Any]:
    found = [widget for widget in widgets if any(metric.name == metric_name for metric in metrics_of(widget))]
    assert len(found) == 1, f"{metric_name}: {len(found)} widgets"
    return found[0]


def lines(widget: Mapping[str, Any], metric_name: str) -> set[tuple[tuple[tuple[str, str], ...], str | None]]:
    """The (dimensions, statistic) pairs a widget graphs for one metric."""
    return {
        (tuple(sorted(metric.dimensions.items())), metric.stat)
        for metric in metrics_of(widget)
        if metric.name == metric_name
    }


def on_table(name: str, stat: str, **more: str) -> tuple[tuple[tuple[str, str], ...], str]:
    return tuple(sorted({"TableName": name, **more}.items())), stat


def log_queries(body: Mapping[str, Any]) -> list[str]:
    return [widget["properties"]["query"] for widget in body["widgets"] if widget["type"] == "log"]


# --- The tables ----------------------------------------------------------------------------------------------


def test_the_declared_tables_are_the_generated_data(terraform_root: Path) -> None:
    """What the stand-in iterates over is what the code declares (the data file's freshness has its own test)."""
    data = json.loads((terraform_root / "tables.auto.tfvars.json").read_text(encoding="utf-8"))
    assert sorted(data["tables"]) == sorted(table.name for table in ALL_TABLES)


@pytest.mark.parametrize("table", ALL_TABLES, ids=[table.name for table in ALL_TABLES])
def test_every_table_has_its_throttles_latency_capacity_and_errors(with_service: dict[str, Any], table: Table) -> None:
    name = PREFIX + table.name
    widgets = widgets_of_table(with_service, name)
    assert len(widgets) == 4, [widget["properties"]["title"] for widget in widgets]
    indexes = [index.name for index in table.indexes]

    throttles = the_widget_with(widgets, "ReadThrottleEvents")
    for metric in ("ReadThrottleEvents", "WriteThrottleEvents"):
        expected = {on_table(name, "Sum")} | {on_table(name, "Sum", GlobalSecondaryIndexName=i) for i in indexes}
        assert lines(throttles, metric) == expected, metric
    assert {on_table(name, "Sum", Operation=o) for o in SERVICE_OPERATIONS} <= lines(throttles, "ThrottledRequests")

    latency = the_widget_with(widgets, "SuccessfulRequestLatency")
    for stat in ("p99", "Average"):
        expected_latency = {on_table(name, stat, Operation=o) for o in SERVICE_OPERATIONS}
        assert expected_latency <= lines(latency, "SuccessfulRequestLatency"), stat

    capacity = the_widget_with(widgets, "ConsumedReadCapacityUnits")
    for metric in ("ConsumedReadCapacityUnits", "ConsumedWriteCapacityUnits"):
        expected = {on_table(name, "Sum")} | {on_table(name, "Sum", GlobalSecondaryIndexName=i) for i in indexes}
        assert lines(capacity, metric) == expected, metric

    errors = the_widget_with(widgets, "SystemErrors")
    assert {on_table(name, "Sum", Operation=o) for o in SERVICE_OPERATIONS} <= lines(errors, "SystemErrors")

    assert all(metric.namespace == "AWS/DynamoDB" for widget in widgets for metric in metrics_of(widget))
    assert len({throttles["y"], latency["y"], capacity["y"], errors["y"]}) == 1, "one row per table"


def test_the_dashboard_shows_the_declared_tables_and_no_other(with_service: dict[str, Any]) -> None:
    shown = {metric.dimensions["TableName"] for metric in all_metrics(with_service) if "TableName" in metric.dimensions}
    assert shown == {PREFIX + table.name for table in ALL_TABLES}


def test_user_errors_are_shown_once_for_the_account(with_service: dict[str, Any]) -> None:
    user_errors = [metric for metric in all_metrics(with_service) if metric.name == "UserErrors"]
    assert user_errors == [Metric("AWS/DynamoDB", "UserErrors", {}, "Sum")]


def test_a_table_added_to_the_data_is_on_the_dashboard(terraform: Path, terraform_root: Path, tmp_path: Path) -> None:
    """No table is listed by hand: a new declaration, regenerated into the data file, gets its row."""
    root = tmp_path / "root"
    root.mkdir()
    for path in (*terraform_root.glob("*.tf"), *terraform_root.glob("*.auto.tfvars.json")):
        shutil.copy(path, root / path.name)
    data = json.loads((root / "tables.auto.tfvars.json").read_text(encoding="utf-8"))
    data["tables"]["Carts"] = {
        **data["tables"]["Orders"],
        "hash_key": "CartId",
        "global_secondary_indexes": [{**data["tables"]["Orders"]["global_secondary_indexes"][0], "name": "OwnerIndex"}],
    }
    (root / "tables.auto.tfvars.json").write_text(json.dumps(data), encoding="utf-8")
    workdir = tmp_path / "work"
    workdir.mkdir()

    body = dashboard_body(terraform, root, workdir, service=False)

    widgets = widgets_of_table(body, PREFIX + "Carts")
    assert len(widgets) == 4
    throttles = the_widget_with(widgets, "ReadThrottleEvents")
    assert on_table(PREFIX + "Carts", "Sum", GlobalSecondaryIndexName="OwnerIndex") in lines(
        throttles, "WriteThrottleEvents"
    )


def test_the_widgets_take_the_tables_and_the_service_from_the_module_outputs(terraform_root: Path) -> None:
    inputs = {
        name: " ".join(source(value).split())
        for name, value in locals_of(load_hcl(terraform_root / "dashboard.tf")).items()
    }
    assert inputs["dashboard_tables"].startswith("{for table, instance in module.table :")
    assert inputs["dashboard_services"].startswith("[for instance in module.service :")
    used = set(re.findall(r"\binstance\.(\w+)", " ".join(inputs.values())))
    outputs = {
        name
        for module in ("dynamodb_table", "lambda_service")
        for name in blocks(load_hcl(terraform_root / "modules" / module / "outputs.tf"), "output")
    }
    assert used == {"table_name", "global_secondary_index_names", "function_name", "api_id", "log_group_name"}
    assert used <= outputs
    widgets = (terraform_root / "dashboard_widgets.tf").read_text(encoding="utf-8")
    assert "module." not in widgets, "the body reads the module outputs through dashboard.tf's locals only"


# --- The service ------------------------------------------------------------------------------------------------


def test_without_the_service_there_is_no_service_widget(without_service: dict[str, Any]) -> None:
    assert log_queries(without_service) == []
    namespaces = {metric.namespace for metric in all_metrics(without_service)}
    assert namespaces == {"AWS/DynamoDB"}


def test_the_service_widgets_name_its_function_api_and_log_group(with_service: dict[str, Any]) -> None:
    by_metric = {
        (metric.namespace, metric.name, metric.stat): metric.dimensions
        for metric in all_metrics(with_service)
        if metric.namespace != "AWS/DynamoDB"
    }
    api = {"ApiId": SERVICE["api_id"]}
    function = {"FunctionName": SERVICE["function_name"]}
    expected = {
        ("AWS/ApiGateway", "Count", "Sum"): api,
        ("AWS/ApiGateway", "4xx", "Sum"): api,
        ("AWS/ApiGateway", "5xx", "Sum"): api,
        ("AWS/ApiGateway", "Latency", "p99"): api,
        ("AWS/Lambda", "Invocations", "Sum"): function,
        ("AWS/Lambda", "Duration", "p99"): function,
        ("AWS/Lambda", "Errors", "Sum"): function,
        ("AWS/Lambda", "Throttles", "Sum"): function,
        ("AWS/Lambda", "ConcurrentExecutions", "Maximum"): function,
    }
    assert {key: by_metric.get(key) for key in expected} == expected
    queries = log_queries(with_service)
    assert len(queries) == 3
    assert all(query.startswith(f"SOURCE '{SERVICE['log_group_name']}'\n| ") for query in queries)


def test_the_service_widgets_show_the_graphql_error_codes_and_p99_by_operation(with_service: dict[str, Any]) -> None:
    commands = [query_commands(query) for query in log_queries(with_service)]
    assert any(
        "stats count(*) as errors by errorCodes.0" in query and 'message = "http_request"' in " ".join(query)
        for query in commands
    )
    assert any(
        any(
            command.startswith("stats") and "pct(durationMs, 99)" in command and command.endswith("by operations.0")
            for command in query
        )
        for query in commands
    )


# --- Logs Insights queries against the service's log lines -----------------------------------------------------

KEYWORDS = frozenset(
    {
        "fields",
        "filter",
        "stats",
        "sort",
        "limit",
        "display",
        "by",
        "as",
        "and",
        "or",
        "not",
        "asc",
        "desc",
        "in",
        "like",
    }
)
FIELD = re.compile(r"(?<![\w.])@?[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z0-9_]+)*")
STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'')
REGEX = re.compile(r"(?<=like)\s*/(?:[^/\\]|\\.)*/")
EQUALS_STRING = re.compile(r'(?<![\w.@])([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*"([^"]*)"')


def flattened(line: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """A JSON log line's fields as Logs Insights names them: nested keys joined by dots, arrays by index."""
    fields: dict[str, Any] = {}
    for key, value in line.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            fields.update(flattened(value, f"{name}."))
        elif isinstance(value, list):
            fields.update(flattened({str(index): item for index, item in enumerate(value)}, f"{name}."))
        else:
            fields[name] = value
    return fields


def query_commands(query: str) -> list[str]:
    """A query's commands, without a leading SOURCE command (dashboard widgets only)."""
    commands = [" ".join(command.split()) for command in re.split(r"\n\s*\|\s*", query.strip())]
    return [command for command in commands if not command.startswith("SOURCE ")]


def referenced_fields(query: str) -> set[str]:
    """The fields of the log lines a query reads: not @-fields, functions, keywords, aliases or literals."""
    aliases: set[str] = set()
    fields: set[str] = set()
    for command in query_commands(query):
        text = STRING.sub(" ", REGEX.sub(" ", command))
        aliases |= set(re.findall(r"\bas\s+([A-Za-z_][A-Za-z0-9_]*)", text))
        for match in FIELD.finditer(text):
            name = match.group()
            is_call = text[match.end() :].lstrip().startswith("(")
            if name.startswith("@") or is_call or name in KEYWORDS or name in aliases:
                continue
            fields.add(name)
    return fields - aliases


def compared_values(query: str) -> dict[str, set[str]]:
    """The string values fields are compared with (`message = "http_request"`), by field."""
    values: dict[str, set[str]] = {}
    for command in query_commands(query):
        for name, value in EQUALS_STRING.findall(command):
            values.setdefault(name, set()).add(value)
    return values


def runbook_queries() -> list[str]:
    """The Logs Insights queries of docs/runbook.md: its code blocks that start with a query command."""
    text = RUNBOOK.read_text(encoding="utf-8")
    found = [textwrap.dedent(block) for block in re.findall(r"```[a-z]*\n(.*?)```", text, flags=re.DOTALL)]
    return [block for block in found if re.match(r"(fields|filter|stats)\b", block)]


async def _a_graphql_request(scope: Scope, receive: Receive, send: Send) -> None:
    """A request as the GraphQL view records it: its operation, a DynamoDB call, an error code, a failure."""
    current = current_scope()
    current.graphql_operations.append("Canonical")
    current.record_dynamodb_request("BatchGetItem")
    current.add_capacity(2.5)
    current.error_codes.append("NOT_FOUND")
    try:
        raise RuntimeError("an unexpected failure")
    except RuntimeError as failure:
        log_unexpected([GraphQLError("failed", path=["customer"], original_error=failure)], current.request_id)
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"{}"})


async def _no_body() -> Message:
    return {"type": "http.request", "body": b""}


async def _sent(message: Message) -> None:
    return None


def service_log_lines() -> list[dict[str, Any]]:
    """The service's log lines as CloudWatch receives them, written by its own code and JSON formatter
    (graphql_api.logs): the request line of RequestScopeMiddleware and an unexpected error with its stack."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLogFormatter())
    handler.addFilter(RequestIdFilter())
    loggers = [logging.getLogger(name) for name in ("graphql_api.request", "graphql_api.graphql.errors")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
    try:
        http = {"type": "http", "method": "POST", "path": "/graphql", "headers": []}
        asyncio.run(RequestScopeMiddleware(_a_graphql_request)(http, _no_body, _sent))
    finally:
        for logger, level in zip(loggers, levels, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
    return [json.loads(line) for line in stream.getvalue().splitlines()]


@pytest.fixture(scope="module")
def log_lines() -> list[dict[str, Any]]:
    return service_log_lines()


def test_the_service_writes_the_lines_the_queries_read(log_lines: list[dict[str, Any]]) -> None:
    (request,) = [line for line in log_lines if line.get("message") == "http_request"]
    assert set(request) >= REQUEST_FIELDS
    assert (request["operations"], request["errorCodes"], request["dynamodbRequests"]) == (
        ["Canonical"],
        ["NOT_FOUND"],
        1,
    )
    (error,) = [line for line in log_lines if line.get("level") == "ERROR"]
    assert "RuntimeError: an unexpected failure" in error["exception"]
    assert error["requestId"] == request["requestId"]


def possible_values(name: str, lines: list[dict[str, Any]]) -> set[str] | None:
    """The values a field can hold, for the fields that have a closed set of them; None for the others (ids...)."""
    if re.fullmatch(r"errorCodes\.[0-9]+", name):
        return set(CODES)
    if name == "level":
        return {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}
    if name == "message":  # the events queries select: the request line
        return {str(line["message"]) for line in lines if "errorCodes" in line}
    return None


def check_query(query: str, lines: list[dict[str, Any]]) -> list[str]:
    """What a query reads that the service's log lines do not have: a field, or a value of a closed set."""
    known = {name for line in lines for name in flattened(line)}
    problems = [f"no field {name!r} in the service's log lines" for name in sorted(referenced_fields(query) - known)]
    for name, values in compared_values(query).items():
        possible = possible_values(name, lines)
        if possible is not None:
            problems += [f"{name} is never {value!r}" for value in sorted(values - possible)]
    return problems


def test_the_dashboard_queries_read_the_fields_of_the_service_log(
    with_service: dict[str, Any], log_lines: list[dict[str, Any]]
) -> None:
    problems = {query: check_query(query, log_lines) for query in log_queries(with_service)}
    assert {query: found for query, found in problems.items() if found} == {}


def test_the_runbook_queries_read_the_fields_of_the_service_log(log_lines: list[dict[str, Any]]) -> None:
    queries = runbook_queries()
    assert queries, "docs/runbook.md has no Logs Insights query"
    problems = {query: check_query(query, log_lines) for query in queries}
    assert {query: found for query, found in problems.items() if found} == {}


@pytest.mark.parametrize(
    ("query", "problem"),
    [
        ('filter message = "http_request" | stats count(*) by errorCode', "no field 'errorCode'"),
        ('filter msg = "http_request"', "no field 'msg'"),
        ('filter message = "request"', "message is never 'request'"),
        ('filter errorCodes.0 = "TIMEOUT"', "errorCodes.0 is never 'TIMEOUT'"),
        ("stats pct(duration, 99) by operations.0", "no field 'duration'"),
    ],
)
def test_a_query_on_a_field_the_log_does_not_have_is_reported(
    log_lines: list[dict[str, Any]], query: str, problem: str
) -> None:
    assert any(problem in found for found in check_query(query, log_lines))


def test_a_query_on_the_log_fields_is_accepted(log_lines: list[dict[str, Any]]) -> None:
    query = (
        'fields @timestamp, requestId\n| filter message = "http_request" and errorCodes.0 = "THROTTLED"'
        " and exception like /Throttl/\n| stats count(*) as n, pct(durationMs, 99) as p99 by operations.0, bin(5m)\n| sort n desc"
    )
    assert check_query(query, log_lines) == []


# --- Layout, switch, name, outputs ---------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", ["with_service", "without_service"])
def test_the_widgets_fit_the_grid_without_overlapping(fixture: str, request: pytest.FixtureRequest) -> None:
    body: dict[str, Any] = request.getfixturevalue(fixture)
    widgets = body["widgets"]
    assert 0 < len(widgets) <= 500
    cells: dict[tuple[int, int], str] = {}
    for widget in widgets:
        title = widget["properties"].get("title", widget["type"])
        assert widget["x"] >= 0, title
        assert widget["width"] >= 1, title
        assert widget["x"] + widget["width"] <= 24, title
        for x in range(widget["x"], widget["x"] + widget["width"]):
            for y in range(widget["y"], widget["y"] + widget["height"]):
                assert (x, y) not in cells, f"{title} overlaps {cells[(x, y)]}"
                cells[(x, y)] = title
        if widget["type"] in ("metric", "log"):
            assert widget["properties"]["region"] == "us-east-1", title


def test_the_dashboard_is_switched_by_a_variable_off_by_default(terraform_root: Path) -> None:
    root = load_hcl(terraform_root / "variables.tf")
    assert blocks(root, "variable")["dashboard_enabled"]["default"] is False
    dashboard = resources(load_hcl(terraform_root / "dashboard.tf"))["aws_cloudwatch_dashboard.this"]
    assert source(dashboard["count"]) == "var.dashboard_enabled ? 1 : 0"
    assert source(dashboard["dashboard_body"]) == "jsonencode(local.dashboard_body)"
    outputs = blocks(load_hcl(terraform_root / "outputs.tf"), "output")
    assert source(outputs["dashboard_name"]["value"]) == "one(aws_cloudwatch_dashboard.this[*].dashboard_name)"
    assert source(outputs["dashboard_url"]["value"]) == "var.dashboard_enabled ? local.dashboard_url : null"


@pytest.mark.parametrize(("environment", "enabled"), [("dev", True), ("prod", True), ("local", False)])
def test_every_environment_sets_the_dashboard(
    terraform: Path, terraform_root: Path, tmp_path: Path, environment: str, enabled: bool
) -> None:
    """In AWS, on; against DynamoDB Local, off: there is no CloudWatch behind it."""
    shutil.copy(terraform_root / "variables.tf", tmp_path / "variables.tf")
    shutil.copy(terraform_root / "envs" / f"{environment}.tfvars", tmp_path / "terraform.tfvars")
    assert evaluate(terraform, tmp_path, "var.dashboard_enabled") is enabled


def test_the_dashboard_name_is_one_cloudwatch_accepts(terraform: Path, terraform_root: Path, tmp_path: Path) -> None:
    workdir = dashboard_workdir(terraform_root, tmp_path, service=False, prefix="team.a-")
    found = evaluate(terraform, workdir, "{ name = local.dashboard_name, url = local.dashboard_url }")
    assert found["name"] == "team-a-graphql-api"
    assert re.fullmatch(r"[A-Za-z0-9_-]{1,255}", found["name"])
    assert found["url"] == (
        "https://us-east-1.console.aws.amazon.com/cloudwatch/home?region=us-east-1#dashboards:name=team-a-graphql-api"
    )


def test_the_readme_documents_the_dashboard(terraform_root: Path) -> None:
    readme = (terraform_root / "README.md").read_text(encoding="utf-8")
    assert [
        name for name in ("dashboard_enabled", "dashboard_name", "dashboard_url") if f"`{name}`" not in readme
    ] == []
