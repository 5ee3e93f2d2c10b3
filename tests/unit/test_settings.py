"""Settings come from the environment with documented defaults, read once; nonsense stops the start."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from graphql_api.settings import Settings, SettingsError, check_safe_to_serve, load_settings

AWS_CREDENTIAL_SETTINGS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)
SAFE = {"auth_issuer": "https://issuer.example/pool", "cursor_secret": "test-secret", "auth_audience": "client-a"}


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in (*(field.upper() for field in Settings.model_fields), *AWS_CREDENTIAL_SETTINGS):
        monkeypatch.delenv(name, raising=False)


def problems_of(error: pytest.ExceptionInfo[SettingsError]) -> list[str]:
    return str(error.value).splitlines()


def test_defaults_are_the_documented_ones() -> None:
    settings = load_settings(env_file=None)
    assert settings.dynamodb_endpoint_url is None
    assert settings.table_prefix == "dev-"
    assert settings.aws_region == "us-east-1"
    assert settings.dynamodb_client == "aiohttp"
    assert settings.graphql_max_depth == 10
    assert settings.graphql_max_document_bytes == 20 * 1024
    assert settings.max_body_bytes == 1024 * 1024
    assert settings.cors_allow_origins == ()
    assert settings.graphql_introspection is True
    assert settings.log_level == "INFO"
    assert settings.auth_mode == "oidc"
    assert settings.auth_issuer is None
    assert settings.jwks_url is None
    assert settings.auth_audience == ()
    assert (settings.auth_groups_claim, settings.auth_staff_group, settings.auth_admin_group) == (
        "cognito:groups",
        "staff",
        "admin",
    )
    assert settings.auth_clock_skew == 60
    assert settings.auth_jwks_refetch_interval == 30.0
    assert settings.auth_jwks_timeout == 3.0
    assert not settings.cursor_secret_configured
    assert settings.embedded
    assert type(settings) is Settings


def test_environment_variables_override_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "http://localhost:8000")
    monkeypatch.setenv("TABLE_PREFIX", "prod-")
    monkeypatch.setenv("FILTER_READ_BUDGET", "3")
    monkeypatch.setenv("DYNAMODB_CLIENT", "boto3")
    monkeypatch.setenv("DYNAMODB_READ_TIMEOUT", "0.5")
    monkeypatch.setenv("GRAPHQL_INTROSPECTION", "false")
    monkeypatch.setenv("AUTH_CLOCK_SKEW", "0")
    settings = load_settings(env_file=None)
    assert settings.dynamodb_endpoint_url == "http://localhost:8000"
    assert settings.table_prefix == "prod-"
    assert settings.filter_read_budget == 3
    assert settings.dynamodb_client == "boto3"
    assert settings.dynamodb_read_timeout == 0.5
    assert settings.graphql_introspection is False
    assert settings.auth_clock_skew == 0
    assert not settings.embedded


def test_an_empty_table_prefix_is_kept_and_an_empty_endpoint_means_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TABLE_PREFIX", "")
    monkeypatch.setenv("DYNAMODB_ENDPOINT_URL", "")
    settings = load_settings(env_file=None)
    assert settings.table_prefix == ""
    assert settings.dynamodb_endpoint_url is None


def test_building_settings_directly_never_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TABLE_PREFIX", "env-")
    monkeypatch.setenv("GRAPHQL_MAX_DEPTH", "-5")
    monkeypatch.setenv("CURSOR_SECRET", "from-the-environment")
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("AWS_REGION=eu-west-1\n")
    settings = Settings(aws_region="ap-south-1")
    assert settings.table_prefix == "dev-"
    assert settings.graphql_max_depth == 10
    assert settings.aws_region == "ap-south-1"
    assert not settings.cursor_secret_configured
    assert Settings().aws_region == "us-east-1"


@pytest.mark.parametrize("name", AWS_CREDENTIAL_SETTINGS)
def test_aws_credentials_mean_not_embedded(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "set")
    settings = load_settings(env_file=None)
    assert settings.aws_credentials_configured
    assert not settings.embedded


def test_aws_credentials_in_the_dotenv_file_count_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("AWS_PROFILE=prod\n")
    assert not load_settings(env_file=str(env_file)).embedded


def test_a_dotenv_file_fills_gaps_but_the_environment_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("TABLE_PREFIX=file-\nAWS_REGION=eu-west-1\nAUTH_AUDIENCE=a,b\nSOMETHING_ELSE=ignored\n")
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    settings = load_settings(env_file=str(env_file))
    assert settings.table_prefix == "file-"
    assert settings.aws_region == "us-west-2"
    assert settings.auth_audience == ("a", "b")


def test_a_missing_dotenv_file_is_fine(tmp_path: Path) -> None:
    assert load_settings(env_file=str(tmp_path / "absent.env")).table_prefix == "dev-"


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("GRAPHQL_MAX_DEPTH", "-5", "GRAPHQL_MAX_DEPTH must be at least 1, got -5"),
        ("GRAPHQL_MAX_DEPTH", "ten", "GRAPHQL_MAX_DEPTH must be a whole number, got 'ten'"),
        ("GRAPHQL_MAX_DEPTH", "2.5", "GRAPHQL_MAX_DEPTH must be a whole number, got 2.5"),
        ("DYNAMODB_CLIENT", "bogus", "DYNAMODB_CLIENT must be 'aiohttp', 'aiobotocore' or 'boto3', got 'bogus'"),
        ("FILTER_READ_BUDGET", "0", "FILTER_READ_BUDGET must be at least 1, got 0"),
        ("GRAPHQL_MAX_ALIASES", "0", "GRAPHQL_MAX_ALIASES must be at least 1"),
        ("GRAPHQL_MAX_ROOT_FIELDS", "0", "GRAPHQL_MAX_ROOT_FIELDS must be at least 1"),
        ("GRAPHQL_MAX_DOCUMENT_BYTES", "0", "GRAPHQL_MAX_DOCUMENT_BYTES must be at least 1"),
        ("GRAPHQL_MAX_BATCH_OPERATIONS", "0", "GRAPHQL_MAX_BATCH_OPERATIONS must be at least 1"),
        ("GRAPHQL_MAX_ESTIMATED_ITEMS", "-1", "GRAPHQL_MAX_ESTIMATED_ITEMS must be at least 1"),
        ("MAX_BODY_BYTES", "0", "MAX_BODY_BYTES must be at least 1"),
        ("DYNAMODB_MAX_POOL_CONNECTIONS", "0", "DYNAMODB_MAX_POOL_CONNECTIONS must be at least 1"),
        ("DYNAMODB_MAX_ATTEMPTS", "0", "DYNAMODB_MAX_ATTEMPTS must be at least 1"),
        ("DYNAMODB_CONNECT_TIMEOUT", "0", "DYNAMODB_CONNECT_TIMEOUT must be greater than 0, got 0"),
        ("DYNAMODB_READ_TIMEOUT", "-1", "DYNAMODB_READ_TIMEOUT must be greater than 0"),
        ("DYNAMODB_READ_TIMEOUT", "inf", "DYNAMODB_READ_TIMEOUT must be a finite number"),
        ("DYNAMODB_CONNECT_TIMEOUT", "nan", "DYNAMODB_CONNECT_TIMEOUT must be a finite number"),
        ("BATCH_GET_MAX_RETRIES", "-1", "BATCH_GET_MAX_RETRIES must be at least 0"),
        ("BATCH_GET_BASE_DELAY", "-0.1", "BATCH_GET_BASE_DELAY must be at least 0"),
        ("LOG_LEVEL", "loud", "LOG_LEVEL must be 'DEBUG', 'INFO', 'WARNING', 'ERROR' or 'CRITICAL'"),
        ("GRAPHQL_INTROSPECTION", "yes", "GRAPHQL_INTROSPECTION must be true or false (or 1 or 0), got 'yes'"),
        ("AWS_REGION", "", "AWS_REGION must not be empty"),
        ("DYNAMODB_ENDPOINT_URL", "localhost:8000", "DYNAMODB_ENDPOINT_URL must be an http:// or https:// URL"),
        ("AUTH_MODE", "jwt", "AUTH_MODE must be 'oidc' or 'none', got 'jwt'"),
        ("AUTH_ISSUER", "cognito", "AUTH_ISSUER must be an http:// or https:// URL, got 'cognito'"),
        ("AUTH_ISSUER", "ftp://issuer.example", "AUTH_ISSUER must be an http:// or https:// URL"),
        ("AUTH_JWKS_URL", "https://", "AUTH_JWKS_URL must be an http:// or https:// URL"),
        ("AUTH_GROUPS_CLAIM", "", "AUTH_GROUPS_CLAIM must not be empty"),
        ("AUTH_STAFF_GROUP", "", "AUTH_STAFF_GROUP must not be empty"),
        ("AUTH_ADMIN_GROUP", "", "AUTH_ADMIN_GROUP must not be empty"),
        ("AUTH_CLOCK_SKEW", "-1", "AUTH_CLOCK_SKEW must be at least 0"),
        ("AUTH_CLOCK_SKEW", "3601", "AUTH_CLOCK_SKEW must be at most 3600, got 3601"),
        ("AUTH_JWKS_REFETCH_INTERVAL", "0", "AUTH_JWKS_REFETCH_INTERVAL must be greater than 0"),
        ("AUTH_JWKS_TIMEOUT", "0", "AUTH_JWKS_TIMEOUT must be greater than 0"),
        ("CURSOR_SECRET", "a,,b", "CURSOR_SECRET has an empty entry"),
        ("CURSOR_SECRET", "a,b,", "CURSOR_SECRET has an empty entry"),
    ],
)
def test_nonsense_is_refused_naming_the_environment_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    [problem] = problems_of(error)
    assert problem.startswith(expected)
    # Direct construction validates the same way.
    with pytest.raises(SettingsError) as direct:
        Settings(**{name.lower(): value})
    assert problems_of(direct) == [problem]


def test_every_bad_setting_is_listed_one_per_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRAPHQL_MAX_DEPTH", "-5")
    monkeypatch.setenv("DYNAMODB_CLIENT", "bogus")
    monkeypatch.setenv("FILTER_READ_BUDGET", "0")
    monkeypatch.setenv("TABLE_PREFIX", "fine-")
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert isinstance(error.value, ValueError)
    assert sorted(problem.split()[0] for problem in problems_of(error)) == [
        "DYNAMODB_CLIENT",
        "FILTER_READ_BUDGET",
        "GRAPHQL_MAX_DEPTH",
    ]


def test_bad_values_in_the_dotenv_file_are_refused_too(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("GRAPHQL_MAX_DEPTH=0\n")
    with pytest.raises(SettingsError, match="GRAPHQL_MAX_DEPTH must be at least 1"):
        load_settings(env_file=str(env_file))


def test_a_misspelled_setting_in_code_is_refused() -> None:
    with pytest.raises(SettingsError, match="GRAPHQL_MAX_DEPT is not a setting"):
        Settings(graphql_max_dept=5)


def test_a_bad_cursor_secret_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_SECRET", "hunter2-is-my-password,,old-one")
    with pytest.raises(SettingsError) as error:
        load_settings(env_file=None)
    assert problems_of(error)[0].startswith("CURSOR_SECRET")
    assert "hunter2" not in str(error.value)
    assert "old-one" not in str(error.value)
    assert error.value.__cause__ is None
    assert error.value.__suppress_context__


@pytest.mark.parametrize(("value", "expected"), [("info", "INFO"), ("Debug", "DEBUG"), (" warning ", "WARNING")])
def test_log_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch, value: str, expected: str) -> None:
    monkeypatch.setenv("LOG_LEVEL", value)
    assert load_settings(env_file=None).log_level == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("TRUE", True), ("1", True), ("false", False), ("False", False), ("0", False)],
)
def test_booleans_are_true_false_1_or_0(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("GRAPHQL_INTROSPECTION", value)
    assert load_settings(env_file=None).graphql_introspection is expected


@pytest.mark.parametrize("value", ["yes", "on", "2", ""])
def test_other_boolean_spellings_are_refused(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GRAPHQL_INTROSPECTION", value)
    with pytest.raises(SettingsError, match="GRAPHQL_INTROSPECTION must be true or false"):
        load_settings(env_file=None)


def test_comma_separated_lists_are_split_and_trimmed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", "https://a.example, https://b.example,")
    monkeypatch.setenv("AUTH_AUDIENCE", "client-a,client-b")
    settings = load_settings(env_file=None)
    assert settings.cors_allow_origins == ("https://a.example", "https://b.example")
    assert settings.auth_audience == ("client-a", "client-b")
    # Not JSON-decoded: a JSON-looking value is one origin, as written.
    monkeypatch.setenv("CORS_ALLOW_ORIGINS", '["https://a.example"]')
    assert load_settings(env_file=None).cors_allow_origins == ('["https://a.example"]',)
    assert Settings(cors_allow_origins="https://c.example,https://d.example").cors_allow_origins == (
        "https://c.example",
        "https://d.example",
    )
    assert Settings(auth_audience=("x",)).auth_audience == ("x",)


def test_cursor_secret_rotation_the_first_signs_all_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CURSOR_SECRET", "new-secret, old-secret")
    settings = load_settings(env_file=None)
    assert settings.cursor_secrets == ("new-secret", "old-secret")
    assert settings.cursor_secret_configured
    assert Settings(cursor_secret="new,old").cursor_secrets == ("new", "old")
    assert Settings(cursor_secret="test-secret").cursor_secrets == ("test-secret",)
    assert Settings(cursor_secret=["a", "b"]).cursor_secrets == ("a", "b")


@pytest.mark.parametrize("value", ["a,,b", ",a", "a,", " , "])
def test_an_empty_cursor_secret_entry_is_refused_in_code_too(value: str) -> None:
    with pytest.raises(SettingsError, match="CURSOR_SECRET has an empty entry"):
        Settings(cursor_secret=value)


def test_without_a_configured_secret_each_settings_object_gets_a_random_one_kept_by_copies(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CURSOR_SECRET", "")
    first, second = load_settings(env_file=None), load_settings(env_file=None)
    assert not first.cursor_secret_configured
    [secret] = first.cursor_secrets
    assert len(secret) == 64
    assert first.cursor_secrets != second.cursor_secrets
    assert Settings().cursor_secrets != Settings().cursor_secrets
    assert first.cursor_secrets == first.cursor_secrets
    assert first.with_endpoint("http://localhost:8000").cursor_secrets == first.cursor_secrets
    assert first.replace(graphql_max_depth=3).cursor_secrets == first.cursor_secrets
    assert first.model_copy().cursor_secrets == first.cursor_secrets


def test_no_cursor_secret_appears_in_repr_str_or_json() -> None:
    settings = Settings(cursor_secret="signing-secret-1,verifying-secret-2")
    unset = Settings()
    for text in (repr(settings), str(settings), settings.model_dump_json(), repr(settings.model_dump())):
        assert "signing-secret-1" not in text
        assert "verifying-secret-2" not in text
    for text in (repr(unset), str(unset), unset.model_dump_json()):
        assert unset.cursor_secrets[0] not in text
    assert "cursor_secret" in repr(settings)  # the field is shown, masked


def test_jwks_url_defaults_to_the_issuers_well_known_keys() -> None:
    assert (
        Settings(auth_issuer="https://issuer.example/pool/").jwks_url
        == "https://issuer.example/pool/.well-known/jwks.json"
    )
    assert (
        Settings(auth_issuer="https://issuer.example/pool").jwks_url
        == "https://issuer.example/pool/.well-known/jwks.json"
    )
    explicit = Settings(auth_issuer="https://issuer.example", auth_jwks_url="https://keys.example/jwks")
    assert explicit.jwks_url == "https://keys.example/jwks"
    assert Settings(auth_issuer="").auth_issuer is None


def test_settings_are_immutable_and_copies_are_validated() -> None:
    settings = Settings()
    with pytest.raises(ValueError, match="frozen"):
        settings.table_prefix = "other-"
    assert settings.replace(table_prefix="other-").table_prefix == "other-"
    assert settings.table_prefix == "dev-"
    with pytest.raises(SettingsError, match="GRAPHQL_MAX_DEPTH must be at least 1"):
        settings.replace(graphql_max_depth=0)
    with pytest.raises(SettingsError, match="DYNAMODB_ENDPOINT_URL"):
        settings.with_endpoint("not a url")
    moved = settings.with_endpoint("http://127.0.0.1:9")
    assert moved.dynamodb_endpoint_url == "http://127.0.0.1:9"
    assert not moved.embedded
    assert type(moved) is Settings


def test_serving_refuses_to_start_without_an_issuer() -> None:
    with pytest.raises(SettingsError) as error:
        check_safe_to_serve(Settings(cursor_secret="test-secret"))
    [problem] = problems_of(error)
    assert problem.startswith("AUTH_ISSUER is not set")
    assert "AUTH_MODE=none" in problem


def test_serving_refuses_to_start_without_a_cursor_secret() -> None:
    with pytest.raises(SettingsError) as error:
        check_safe_to_serve(Settings(auth_issuer="https://issuer.example/pool"))
    [problem] = problems_of(error)
    assert problem.startswith("CURSOR_SECRET is not set")
    assert "load balancer" in problem


def test_serving_names_both_missing_settings_at_once() -> None:
    with pytest.raises(SettingsError) as error:
        check_safe_to_serve(Settings())
    assert [problem.split()[0] for problem in problems_of(error)] == ["AUTH_ISSUER", "CURSOR_SECRET"]


def test_serving_with_issuer_and_secret_is_safe() -> None:
    assert check_safe_to_serve(Settings(**SAFE)) == []


def test_serving_without_an_audience_warns() -> None:
    settings: dict[str, Any] = {**SAFE, "auth_audience": ""}
    [warning] = check_safe_to_serve(Settings(**settings))
    assert warning.startswith("AUTH_AUDIENCE is not set")


def test_an_open_api_must_be_asked_for_and_is_announced_loudly() -> None:
    warnings = check_safe_to_serve(Settings(auth_mode="none", cursor_secret="test-secret"))
    assert len(warnings) == 1
    assert "AUTH_MODE=none" in warnings[0]
    assert "OPEN TO ANYONE" in warnings[0]
    assert "admin" in warnings[0]
    without_secret = check_safe_to_serve(Settings(auth_mode="NONE"))
    assert [warning.split()[0] for warning in without_secret] == ["AUTH_MODE=none:", "CURSOR_SECRET"]
