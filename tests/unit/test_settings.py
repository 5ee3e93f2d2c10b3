"""Settings come from the environment with documented defaults, read once."""

from __future__ import annotations

import pytest

from graphql_api.settings import Settings, load_settings


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (
        "DYNAMODB_ENDPOINT_URL",
        "TABLE_PREFIX",
        "AWS_REGION",
        "FILTER_READ_BUDGET",
        "CURSOR_SECRET",
        "AWS_ACCESS_KEY_ID",
        "AWS_PROFILE",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    ):
        monkeypatch.delenv(name, raising=False)


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings(env_file=None)
    assert settings.dynamodb_endpoint_url is None
    assert settings.table_prefix == "dev-"
    assert settings.aws_region == "us-east-1"
    assert settings.dynamodb_client == "aiobotocore"
    assert settings.embedded


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://localhost:8000")
    monkeypatch.setenv("TABLE_PREFIX", "prod-")
    monkeypatch.setenv("FILTER_READ_BUDGET", "3")
    settings = load_settings(env_file=None)
    assert settings.dynamodb_endpoint_url == "http://localhost:8000"
    assert settings.table_prefix == "prod-"
    assert settings.filter_read_budget == 3
    assert not settings.embedded


def test_aws_credentials_mean_not_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_PROFILE", "prod")
    assert not load_settings(env_file=None).embedded


def test_a_dotenv_file_fills_gaps_but_the_environment_wins(tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    env_file = tmp_path / ".env"
    env_file.write_text("TABLE_PREFIX=file-\nAWS_REGION=eu-west-1\n")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    settings = load_settings(env_file=str(env_file))
    assert settings.table_prefix == "file-"
    assert settings.aws_region == "us-west-2"


def test_without_a_configured_secret_each_process_gets_a_random_one() -> None:
    assert load_settings(env_file=None).cursor_secret != load_settings(env_file=None).cursor_secret
    assert len(Settings().cursor_secret) == 64
