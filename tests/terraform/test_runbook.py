"""docs/runbook.md stays true to what it names: the alarms, the commands, the metrics, the error codes.

Every CloudWatch alarm the Terraform makes has a section, found by its name as CloudWatch shows it: each
`aws_cloudwatch_metric_alarm` of every module is found with python-hcl2, and its names are evaluated with
`terraform console` (no provider) for sample inputs that turn every alarm on (a table with an index, the
service, the stream consumer), then written with placeholders (`<table>-<index>-ReadThrottleEvents`,
`<function>-Errors`, `<consumer>-IteratorAge`); a new
alarm, or a new instance of one, fails here until the runbook has its section. Every `graphql-api` command
and option the runbook shows exists in the CLI's parser; every Prometheus metric it names is one of
graphql_api/metrics.py; every error code it names is one of SPEC section 5 (tests/spec.py), every setting a
real setting; every invariant of `graphql-api validate` has its row. Its Logs Insights queries are checked
against the service's log lines by tests/terraform/test_dashboard.py.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from prometheus_client.metrics_core import Metric

from graphql_api import cli
from graphql_api.metrics import REGISTRY
from graphql_api.ops.validate import DOMAIN, INVARIANTS
from graphql_api.settings import Settings
from tests.spec import CODES
from tests.terraform.hcl import expression, load_hcl, unquoted
from tests.terraform.hcl import terraform_console as evaluate

RUNBOOK = Path(__file__).resolve().parents[2] / "docs" / "runbook.md"

# Inputs that make every alarm of a module exist, and the placeholders their values become in the runbook.
MODULE_INPUTS: dict[str, dict[str, Any]] = {
    "dynamodb_table": {
        "name": "dev-Orders",
        "hash_key": "OrderId",
        "global_secondary_indexes": [
            {"name": "StatusIndex", "hash_key": "Status", "hash_key_type": "S", "projection_type": "ALL"}
        ],
        "alarms_enabled": True,
        "user_errors_alarm_enabled": True,
    },
    "lambda_service": {
        "name": "dev-graphql-api",
        "package_path": "graphql-api-lambda.zip",
        "environment": {"AUTH_ISSUER": "https://issuer.example.com"},
        "cursor_secret": "a-cursor-secret-of-some-length",
        "dynamodb_permissions": [
            {"action": "dynamodb:GetItem", "resource": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-Orders"}
        ],
        "alarms_enabled": True,
    },
    "stream_consumer_alarms": {
        "name": "dev-graphql-api-live",
        "dead_letter_queue_name": "dev-graphql-api-live-dead-letters",
    },
}
PLACEHOLDERS: dict[str, dict[str, str]] = {
    "dynamodb_table": {"dev-Orders": "<table>", "StatusIndex": "<index>"},
    "lambda_service": {"dev-graphql-api": "<function>"},
    "stream_consumer_alarms": {"dev-graphql-api-live": "<consumer>"},
}

# Upper-case words the runbook may show besides error codes and settings: enum values and other names.
OTHER_CAPITALS = frozenset(
    {
        "ACTIVE",
        "CREATING",
        "DEBUG",
        "ERROR",
        "INFO",
        "INIT_REPORT",
        "NEW_AND_OLD_IMAGES",
        "PAY_PER_REQUEST",
        "PROVISIONED",
        "REPORT",
        "VIOLATION",
        "AWS_PROFILE",
        "ENABLE",
    }
)
# The standard OpenTelemetry variables the tracing section names (the SDK reads them, graphql_api.tracing
# turns tracing on when one is set), and the ADOT layer's wrapper on Lambda.
OPENTELEMETRY_VARIABLES = frozenset(
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT",
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_SERVICE_NAME",
        "OTEL_TRACES_EXPORTER",
        "OTEL_TRACES_SAMPLER",
        "OTEL_TRACES_SAMPLER_ARG",
        "OTEL_RESOURCE_ATTRIBUTES",
        "OTEL_SDK_DISABLED",
        "AWS_LAMBDA_EXEC_WRAPPER",
    }
)


@pytest.fixture(scope="module")
def runbook() -> str:
    return RUNBOOK.read_text(encoding="utf-8")


# --- Alarms -------------------------------------------------------------------------------------------------


def alarm_resources_of(path: Path) -> dict[str, dict[str, Any]]:
    """The aws_cloudwatch_metric_alarm resources of one .tf file, by name."""
    return {
        unquoted(name): body
        for entry in load_hcl(path).get("resource", [])
        for kind, by_name in entry.items()
        if unquoted(kind) == "aws_cloudwatch_metric_alarm"
        for name, body in by_name.items()
    }


def alarm_resources(directory: Path) -> dict[str, dict[str, Any]]:
    """Every aws_cloudwatch_metric_alarm of a directory's .tf files, by name."""
    return {name: body for path in sorted(directory.glob("*.tf")) for name, body in alarm_resources_of(path).items()}


def names_expression(body: Mapping[str, Any]) -> str:
    """A list of the alarm names one resource block makes, as an HCL expression."""
    name = expression(body["alarm_name"])
    if "for_each" in body:
        name = re.sub(r"\beach\.(key|value)\b", r"each_\1", name)
        return f"[for each_key, each_value in {expression(body['for_each'])} : {name}]"
    if "count" in body:
        return f"[for count_index in range({expression(body['count'])}) : {name.replace('count.index', 'count_index')}]"
    return f"[{name}]"


def alarm_names(terraform: Path, module_dir: Path, workdir: Path) -> list[str]:
    """The names of every alarm the module makes for MODULE_INPUTS, with placeholders."""
    alarms = alarm_resources(module_dir)
    for name in ("variables.tf", "locals.tf"):
        shutil.copy(module_dir / name, workdir / name)
    # The locals of the files that define alarms (not their resources, which would need the provider).
    found = {
        name: value
        for path in sorted(module_dir.glob("*.tf"))
        if path.name != "locals.tf" and alarm_resources_of(path)
        for block in load_hcl(path).get("locals", [])
        for name, value in block.items()
        if not name.startswith("__")
    }
    body = "\n".join(f"  {name} = {expression(value)}" for name, value in found.items())
    names = ", ".join(names_expression(alarm) for alarm in alarms.values())
    (workdir / "alarm_names.tf").write_text(
        f"locals {{\n{body}\n  alarm_names = concat({names})\n}}\n", encoding="utf-8"
    )
    (workdir / "terraform.tfvars.json").write_text(json.dumps(MODULE_INPUTS[module_dir.name]), encoding="utf-8")
    evaluated: list[str] = evaluate(terraform, workdir, "local.alarm_names")
    for value, placeholder in PLACEHOLDERS[module_dir.name].items():
        evaluated = [name.replace(value, placeholder) for name in evaluated]
    return evaluated


def headings(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def test_every_alarm_is_in_a_module_the_runbook_test_knows(terraform_root: Path) -> None:
    with_alarms = sorted(
        str(directory.relative_to(terraform_root))
        for directory in [terraform_root, *sorted((terraform_root / "modules").iterdir())]
        if directory.is_dir() and alarm_resources(directory)
    )
    assert with_alarms == sorted(f"modules/{module}" for module in MODULE_INPUTS)


@pytest.mark.parametrize("module", sorted(MODULE_INPUTS))
def test_every_alarm_has_a_section(
    terraform: Path, terraform_root: Path, tmp_path: Path, runbook: str, module: str
) -> None:
    names = alarm_names(terraform, terraform_root / "modules" / module, tmp_path)
    assert names, f"modules/{module} made no alarm for the test's inputs"
    titles = headings(runbook)
    assert [name for name in names if not any(f"`{name}`" in title for title in titles)] == []


def test_the_alarm_names_are_what_the_runbook_expects(terraform: Path, terraform_root: Path, tmp_path: Path) -> None:
    """The evaluation itself: a table with one index makes six alarms, the service five, the stream consumer three."""
    for name in ("table", "service", "consumer"):
        (tmp_path / name).mkdir()
    tables = alarm_names(terraform, terraform_root / "modules" / "dynamodb_table", tmp_path / "table")
    assert sorted(tables) == sorted(
        [
            "<table>-ReadThrottleEvents",
            "<table>-WriteThrottleEvents",
            "<table>-<index>-ReadThrottleEvents",
            "<table>-<index>-WriteThrottleEvents",
            "<table>-SystemErrors",
            "<table>-UserErrors",
        ]
    )
    service = alarm_names(terraform, terraform_root / "modules" / "lambda_service", tmp_path / "service")
    assert sorted(service) == [
        "<function>-Duration",
        "<function>-Errors",
        "<function>-RateLimitStoreUnavailable",
        "<function>-RateLimited",
        "<function>-Throttles",
    ]
    consumer = alarm_names(terraform, terraform_root / "modules" / "stream_consumer_alarms", tmp_path / "consumer")
    assert sorted(consumer) == ["<consumer>-DeadLetters", "<consumer>-Errors", "<consumer>-IteratorAge"]


# --- Commands -----------------------------------------------------------------------------------------------


def subcommands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            choices: dict[str, argparse.ArgumentParser] = action.choices
            return choices
    return {}


def options(parser: argparse.ArgumentParser) -> set[str]:
    return {option for action in parser._actions for option in action.option_strings}


COMMAND = re.compile(r"(?<![\w-])graphql-api((?: [a-z][a-z-]*)+)?(?P<rest>[^`\n|;#&]*)")


def commands_in(text: str) -> list[tuple[list[str], list[str]]]:
    """Each `graphql-api` command of the text (not the bare name): its words (command, subcommand...) and --options."""
    found = []
    for match in COMMAND.finditer(text):
        words = (match.group(1) or "").split()
        if not words:
            continue
        rest = match.group("rest")
        found.append((words, re.findall(r"(?<![\w-])--[a-z][a-z-]*", " ".join(words) + rest)))
    return found


def command_problems(text: str) -> list[str]:
    problems = []
    for words, flags in commands_in(text):
        parser = cli._parser()
        path: list[str] = []
        for word in words:
            choices = subcommands(parser)
            if not choices:
                break  # the rest are arguments
            if word not in choices:
                problems.append(f"graphql-api {' '.join([*path, word])}: no such command")
                break
            parser = choices[word]
            path.append(word)
        else:
            if subcommands(parser):
                problems.append(f"graphql-api {' '.join(path)}: a subcommand is missing")
        problems += [f"graphql-api {' '.join(path)}: no option {flag}" for flag in flags if flag not in options(parser)]
    return problems


def test_every_command_of_the_runbook_exists(runbook: str) -> None:
    assert commands_in(runbook), "the runbook shows no graphql-api command"
    assert command_problems(runbook) == []


def test_the_runbook_uses_the_new_commands(runbook: str) -> None:
    shown = {" ".join(words) for words, _ in commands_in(runbook)}
    assert {"tables verify", "check-patterns", "validate", "export", "backfill"} <= shown


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("run `graphql-api verify`", "graphql-api verify: no such command"),
        ("run `graphql-api tables check`", "graphql-api tables check: no such command"),
        ("run `graphql-api tables`", "graphql-api tables: a subcommand is missing"),
        ("run `graphql-api validate --segment 8`", "graphql-api validate: no option --segment"),
    ],
)
def test_a_command_the_cli_lacks_is_reported(text: str, problem: str) -> None:
    assert command_problems(text) == [problem]


def test_commands_with_arguments_and_options_are_accepted() -> None:
    text = (
        "`graphql-api export DIR`, `graphql-api backfill NAME --checkpoint x.json --concurrency 4`, "
        "`graphql-api explore TABLE`, .venv/bin/graphql-api validate --segments 8\n"
        "the log group /aws/lambda/prod-graphql-api is here"
    )
    assert command_problems(text) == []


# --- Metrics, error codes, settings, invariants -------------------------------------------------------------------


def sample_names(family: Metric) -> set[str]:
    """How a metric is named in a query: a counter with `_total`, a histogram by itself or one of its series."""
    suffixes = {"counter": ["_total"], "histogram": ["", "_bucket", "_count", "_sum"], "gauge": [""]}
    return {family.name + suffix for suffix in suffixes.get(family.type, [""])}


def metric_names() -> set[str]:
    return {name for family in REGISTRY.collect() for name in sample_names(family)}


def terraform_names(terraform_root: Path) -> set[str]:
    """Variables and outputs of the root and the modules: names like `dynamodb_access` that are not metrics."""
    names: set[str] = set()
    for path in terraform_root.rglob("*.tf"):
        document = load_hcl(path)
        for kind in ("variable", "output"):
            names |= {unquoted(label) for entry in document.get(kind, []) for label in entry}
    return names


METRIC_LIKE = re.compile(r"(?<![\w./-])((?:graphql|dynamodb)_[a-z0-9_]+)(?![\w./-])")


def test_every_metric_of_the_runbook_exists(runbook: str, terraform_root: Path) -> None:
    named = set(METRIC_LIKE.findall(runbook))
    assert named, "the runbook names no metric"
    assert sorted(named - metric_names() - terraform_names(terraform_root)) == []
    assert "dynamodb_stream_lag_seconds" in named


def capitals_in_code(text: str) -> set[str]:
    """Upper-case words (4 characters or more) inside `code` spans and fenced blocks: codes, settings, values."""
    spans = re.findall(r"```.*?```|`[^`\n]+`", text, flags=re.DOTALL)
    return {
        word
        for span in spans
        for word in re.findall(r"(?<![\w-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*(?![\w-])", span)
        if len(word) >= 4
    }


def settings_names() -> set[str]:
    return {name.upper() for name in Settings.model_fields}


def argument_placeholders() -> set[str]:
    """The CLI's positional arguments as a command line shows them: `export DIR`, `explore TABLE`."""
    parsers = [cli._parser()]
    placeholders: set[str] = set()
    while parsers:
        parser = parsers.pop()
        parsers += subcommands(parser).values()
        placeholders |= {
            str(action.metavar or action.dest).upper()
            for action in parser._actions
            if not action.option_strings and not isinstance(action, argparse._SubParsersAction)
        }
    return placeholders


def unknown_capitals(text: str) -> set[str]:
    known = CODES | settings_names() | argument_placeholders() | OTHER_CAPITALS | OPENTELEMETRY_VARIABLES
    return capitals_in_code(text) - known


def test_every_error_code_and_setting_of_the_runbook_exists(runbook: str) -> None:
    assert sorted(unknown_capitals(runbook)) == []


def test_the_runbook_names_the_codes_users_see_when_dynamodb_fails(runbook: str) -> None:
    assert {"THROTTLED", "UNAVAILABLE", "INTERNAL_SERVER_ERROR", "QUERY_TOO_COMPLEX"} <= capitals_in_code(runbook)


@pytest.mark.parametrize(
    ("text", "unknown"),
    [("users see `THROTTLING`", {"THROTTLING"}), ("set `DYNAMODB_RETRIES`", {"DYNAMODB_RETRIES"})],
)
def test_an_unknown_code_or_setting_is_reported(text: str, unknown: set[str]) -> None:
    assert unknown_capitals(text) == unknown


def test_every_rule_of_the_domain_has_its_row_and_every_row_an_invariant(runbook: str) -> None:
    """The hand-written rules need the runbook's words; those derived from the declarations (references, unique
    guards) are covered by its paragraph and the generated invariants page, so a new entity adds no row."""
    section = runbook[runbook.index("## Data inconsistency") :]
    rows = set(re.findall(r"^\| `([a-z-]+)` \|", section, flags=re.MULTILINE))
    assert {invariant.name for invariant in DOMAIN} | {"item-shape"} <= rows
    assert rows <= {invariant.name for invariant in INVARIANTS}
    assert "(reference/invariants.md)" in section
