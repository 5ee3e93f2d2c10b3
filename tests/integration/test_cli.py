"""The `graphql-api` command against a real endpoint, and as the local default, as an operator runs it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from graphql import parse

from graphql_api.cli import ME_QUERY
from graphql_api.graphql.cost import estimate
from graphql_api.graphql.registry import ALL_TABLES, DATA_ENTITIES
from graphql_api.graphql.schema import build_schema
from graphql_api.local.embedded import free_port
from graphql_api.local.user_pool import DEMO_PASSWORD
from graphql_api.ops.patterns import PATTERNS
from tests.backends import LocalDefault, local_default_env, local_default_process, wait_for_port
from tests.support import fresh_settings, run_cli

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


def test_tables_create_seed_explore_and_check_patterns(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    prefix = settings.table_prefix
    created = run_cli(settings, "tables", "create", timeout=120)
    assert created.returncode == 0, created.stderr
    missing = [table.name for table in ALL_TABLES if table.physical_name(prefix) not in created.stdout]
    assert missing == [], f"tables create did not name {missing}: {created.stdout}"
    again = run_cli(settings, "tables", "create", timeout=120)
    assert again.returncode == 0
    assert "already exist" in again.stdout

    seeded = run_cli(settings, "seed", timeout=120)
    assert seeded.returncode == 0, seeded.stderr
    assert "Orders: 500" in seeded.stdout

    explored = run_cli(settings, "explore", "Products", "--limit", "3", timeout=120)
    assert explored.returncode == 0
    assert len(explored.stdout.splitlines()) == 3
    assert '"ProductId": "prd_' in explored.stdout

    checked = run_cli(settings, "check-patterns", timeout=120)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    lines = checked.stdout.splitlines()
    assert [line.split()[1] for line in lines] == [pattern.number for pattern in PATTERNS]
    failed = [line for line in lines if not line.startswith("ok")]
    assert failed == [], "\n".join(failed)
    # Each pattern makes exactly the requests its document is estimated at (graphql_api.graphql.cost, from
    # how each field runs): a pattern that starts making more requests than its fields declare fails here.
    requests = {line.split()[1]: int(line.split("dynamodb_requests=")[1].split()[0]) for line in lines}
    budget = settings.filter_read_budget
    schema = build_schema()._schema
    estimated = {pattern.number: estimate(schema, parse(pattern.query), {}, budget).requests for pattern in PATTERNS}
    assert requests == estimated, f"DynamoDB requests by pattern: made {requests}, estimated {estimated}"


def test_explore_refuses_an_unknown_table(endpoint: str) -> None:
    result = run_cli(fresh_settings(endpoint, table_prefix="x-"), "explore", "Nope", timeout=120)
    assert result.returncode == 2
    assert "unknown table" in result.stderr


def test_schema_command_prints_the_sdl() -> None:
    result = subprocess.run([sys.executable, "-m", "graphql_api.cli", "schema"], capture_output=True, text=True)
    assert "type Query" in result.stdout


def _local_cli(directory: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "graphql_api.cli", *args],
        cwd=directory,
        env=local_default_env(**env),
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture(scope="module")
def local_default(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalDefault]:
    with local_default_process(tmp_path_factory.mktemp("local-default")) as running:
        yield running


def test_serve_local_default_prints_the_users_and_a_header_that_answers_me(local_default: LocalDefault) -> None:
    for line in ("ada@example.com", "staff@example.com", "admin@example.com", DEMO_PASSWORD, ME_QUERY):
        assert line in local_default.stdout
    assert f"GraphiQL (opens on this query, with her header): {local_default.url}/graphql" in local_default.stdout
    authorization = local_default.header.removeprefix("Authorization: ")

    response = local_default.post("{ me { name email } }", authorization)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == {"me": {"name": "Ada Lovelace", "email": "ada@example.com"}}
    # Her 25 demo orders carry the id bound to her identity: the canonical query through `me` pages them.
    body = local_default.post(ME_QUERY, authorization).json()
    assert "errors" not in body, body
    orders = body["data"]["me"]["orders"]
    assert len(orders["edges"]) == 20
    assert orders["pageInfo"]["hasNextPage"] is True

    anonymous = local_default.post("{ me { name } }", None).json()
    assert anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


def test_graphiql_opens_on_the_me_query_with_adas_header(local_default: LocalDefault) -> None:
    page = httpx.get(f"{local_default.url}/graphql", headers={"Accept": "text/html"}, timeout=30)
    assert page.status_code == 200
    [block] = re.findall(r'<script type="application/json" id="graphiql-defaults">(.*?)</script>', page.text)
    defaults = json.loads(block)
    assert defaults["query"] == ME_QUERY
    assert json.loads(defaults["variables"]) == {}
    authorization = json.loads(defaults["headers"])["Authorization"]
    assert local_default.post("{ me { email } }", authorization).json()["data"] == {"me": {"email": "ada@example.com"}}


def test_token_signs_in_to_the_running_local_default(local_default: LocalDefault) -> None:
    result = _local_cli(local_default.directory, "token", "staff@example.com")
    assert result.returncode == 0, result.stderr
    token = result.stdout.strip()
    assert result.stdout == token + "\n"
    assert token.count(".") == 2
    staff = local_default.post("{ ordersByStatus(status: PAID, first: 1) { edges { cursor } } }", f"Bearer {token}")
    assert "errors" not in staff.json(), staff.json()


def test_token_signs_in_to_the_pool_the_settings_name(local_default: LocalDefault, tmp_path: Path) -> None:
    state = json.loads((local_default.directory / ".graphql-api-local.json").read_text())
    settings = {
        "AUTH_ISSUER": state["issuer"],
        "AUTH_AUDIENCE": state["clientId"],
        "COGNITO_ENDPOINT_URL": state["endpoint"],
    }
    result = _local_cli(tmp_path, "token", "ada@example.com", "--password", DEMO_PASSWORD, **settings)
    assert result.returncode == 0, result.stderr
    me = local_default.post("{ me { name } }", f"Bearer {result.stdout.strip()}")
    assert me.json()["data"] == {"me": {"name": "Ada Lovelace"}}


def test_token_with_a_wrong_password_exits_1_with_a_clear_message(local_default: LocalDefault) -> None:
    result = _local_cli(local_default.directory, "token", "ada@example.com", "--password", "not-the-password")
    assert result.returncode == 1
    assert result.stdout == ""
    assert "sign-in refused for ada@example.com: Incorrect username or password." in result.stderr
    assert "Traceback" not in result.stderr


def test_token_without_a_user_pool_exits_2_naming_the_settings(tmp_path: Path) -> None:
    result = _local_cli(tmp_path, "token", "ada@example.com")
    assert result.returncode == 2
    assert "AUTH_ISSUER" in result.stderr
    assert "AUTH_AUDIENCE" in result.stderr
    assert "graphql-api serve" in result.stderr


def test_the_local_default_removes_its_state_file_on_exit(tmp_path: Path) -> None:
    with local_default_process(tmp_path):
        assert (tmp_path / ".graphql-api-local.json").exists()
    assert not (tmp_path / ".graphql-api-local.json").exists()
    assert _local_cli(tmp_path, "token", "ada@example.com").returncode == 2


def test_serve_local_default_refuses_to_listen_beyond_loopback(tmp_path: Path) -> None:
    everywhere = "0.0.0.0"  # noqa: S104 (refused: the point of the test)
    result = _local_cli(tmp_path, "serve", "--host", everywhere, "--port", str(free_port()))
    assert result.returncode != 0
    assert "--allow-forgeable-tokens" in result.stderr
    assert "forge" in result.stderr
    assert not (tmp_path / ".graphql-api-local.json").exists()


def test_serve_outside_the_local_default_refuses_to_start_without_issuer_and_cursor_secret(
    endpoint: str, tmp_path: Path
) -> None:
    result = _local_cli(tmp_path, "serve", "--port", str(free_port()), DYNAMODB_ENDPOINT_URL=endpoint)
    assert result.returncode == 2
    assert "AUTH_ISSUER" in result.stderr
    assert "CURSOR_SECRET" in result.stderr
    assert "AUTH_MODE=none" in result.stderr
    assert "Traceback" not in result.stderr
    # One of the two is not enough either.
    half = _local_cli(
        tmp_path, "serve", "--port", str(free_port()), DYNAMODB_ENDPOINT_URL=endpoint, CURSOR_SECRET="s" * 32
    )
    assert half.returncode == 2
    assert "AUTH_ISSUER" in half.stderr
    assert "CURSOR_SECRET" not in half.stderr


def test_serve_with_auth_mode_none_starts_and_says_loudly_that_the_api_is_open(endpoint: str, tmp_path: Path) -> None:
    port = free_port()
    env = local_default_env(DYNAMODB_ENDPOINT_URL=endpoint, AUTH_MODE="none", TABLE_PREFIX="open-")
    with open(tmp_path / "err.txt", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "graphql_api.cli", "serve", "--port", str(port)],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        try:
            wait_for_port("127.0.0.1", port, process, timeout=60)
        finally:
            process.terminate()
            process.wait(timeout=30)
    assert "OPEN TO ANYONE" in (tmp_path / "err.txt").read_text()


def test_validate_and_export_work_on_the_running_local_default(local_default: LocalDefault, tmp_path: Path) -> None:
    """With nothing configured, the data commands use the local default running in their directory."""
    validated = _local_cli(local_default.directory, "validate")
    assert validated.returncode == 0, validated.stderr
    assert validated.stdout.splitlines()[-1].endswith(": 0 violations")
    exported = _local_cli(local_default.directory, "export", str(tmp_path / "export"))
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads((tmp_path / "export" / "manifest.json").read_text())
    assert set(manifest["tables"]) == {entity.table.name for entity in DATA_ENTITIES}
    elsewhere = _local_cli(tmp_path, "validate")  # no local default runs there
    assert elsewhere.returncode == 2
    assert "DYNAMODB_ENDPOINT_URL" in elsewhere.stderr


def test_the_local_default_logs_text_for_people(local_default: LocalDefault) -> None:
    local_default.post("{ __typename }", None)
    lines = (local_default.directory / "stderr.txt").read_text().splitlines()
    assert any(" INFO graphql_api.request http_request method=POST path=/graphql status=200 " in line for line in lines)
    assert not any(line.startswith("{") for line in lines)
