"""Settings: read once at start from environment variables (and an optional `.env` file), validated, passed down.

A bad value stops the process at start with a message naming the environment variable; see docs/settings.md's
settings table for every setting, its default and its meaning.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

import pydantic_settings
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PrivateAttr, SecretStr, Strict, ValidationError
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


class SettingsError(ValueError):
    """Settings that are invalid or unsafe; the message has one line per setting, named by its environment variable."""

    def __init__(self, *problems: str) -> None:
        self.problems = problems
        super().__init__("\n".join(problems))


def _split_commas(value: object) -> object:
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


def _parse_secrets(value: object) -> tuple[SecretStr, ...]:
    """One or more secrets, comma-separated in a string; an empty or blank string means none configured."""
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        entries = [entry.strip() for entry in value.split(",")] if value.strip() else []
    elif isinstance(value, list | tuple):
        plain = [entry.get_secret_value() if isinstance(entry, SecretStr) else entry for entry in value]
        if not all(isinstance(entry, str) for entry in plain):
            raise ValueError("must be one or more comma-separated secrets")
        entries = [entry.strip() for entry in plain]
    else:
        raise ValueError("must be one or more comma-separated secrets")
    # Never echo the value: it is a secret.
    if not all(entries):
        raise ValueError("has an empty entry: separate secrets with single commas, with none at either end")
    return tuple(SecretStr(entry) for entry in entries)


def _parse_bool(value: object) -> object:
    if isinstance(value, str):
        text = value.strip().lower()
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise ValueError(f"must be true or false (or 1 or 0), got {value!r}")
    return value


def _url_of(schemes: tuple[str, ...], shown: bool) -> Callable[[object], object]:
    """A parser of URLs with one of `schemes` and a host; an empty string means unset. `shown`: whether the refusal
    may echo the value (a Redis URL may hold a password)."""
    names = " or ".join(f"{scheme}://" for scheme in schemes)
    article = "an" if names.startswith("http") else "a"

    def parse(value: object) -> object:
        if not isinstance(value, str):
            return value
        text = value.strip()
        if not text:
            return None
        try:
            parts = urlsplit(text)
        except ValueError:
            parts = None
        if parts is None or parts.scheme not in schemes or not parts.hostname:
            raise ValueError(f"must be {article} {names} URL" + (f", got {value!r}" if shown else ""))
        return text

    return parse


_parse_url = _url_of(("http", "https"), shown=True)
_parse_redis_url = _url_of(("redis", "rediss"), shown=False)


def _parse_rate_limit_store(value: object) -> object:
    """RATE_LIMIT_STORE: `dynamodb`, `memory` or a Redis URL (never echoed: it may hold a password)."""
    if isinstance(value, str) and value.strip().lower() in ("dynamodb", "memory"):
        return value.strip().lower()
    try:
        return _parse_redis_url(value)
    except ValueError:
        raise ValueError("must be dynamodb, memory or a redis:// or rediss:// URL") from None


def _lower(value: object) -> object:
    return value.strip().lower() if isinstance(value, str) else value


def _upper(value: object) -> object:
    return value.strip().upper() if isinstance(value, str) else value


Count = Annotated[int, Field(ge=1)]
Seconds = Annotated[float, Field(gt=0)]
Name = Annotated[str, Field(min_length=1)]
Flag = Annotated[bool, Strict(), BeforeValidator(_parse_bool)]
Url = Annotated[str | None, BeforeValidator(_parse_url)]
CommaList = Annotated[tuple[str, ...], NoDecode, BeforeValidator(_split_commas)]
Secrets = Annotated[tuple[SecretStr, ...], NoDecode, BeforeValidator(_parse_secrets)]
LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


class Settings(BaseModel):
    """Every setting of the service, with its documented default (see docs/settings.md's settings table).

    Built directly (`Settings(table_prefix="x-")`), it uses only the given values and the defaults;
    `load_settings()` reads the environment. Both validate the same way and raise `SettingsError`.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)

    dynamodb_endpoint_url: Url = None
    aws_region: Name = "us-east-1"
    table_prefix: str = "dev-"
    dynamodb_client: Annotated[Literal["aiohttp", "aiobotocore", "boto3"], BeforeValidator(_lower)] = "aiohttp"
    dynamodb_max_pool_connections: Count = 64
    dynamodb_connect_timeout: Seconds = 2.0
    dynamodb_read_timeout: Seconds = 5.0
    dynamodb_max_attempts: Count = 3
    dynamodb_fast_parser: Flag = True
    """Data-plane responses taken as DynamoDB sent them, not walked by botocore (graphql_api.dynamo.fast_parser)."""
    batch_get_max_retries: Annotated[int, Field(ge=0)] = 6
    batch_get_base_delay: Annotated[float, Field(ge=0)] = 0.025
    filter_read_budget: Count = 10
    # The configured secrets; empty means unset, and then `cursor_secrets` is one random secret per object.
    cursor_secret: Secrets = ()
    graphql_max_depth: Count = 10
    graphql_max_aliases: Count = 30
    graphql_max_root_fields: Count = 10
    graphql_max_document_bytes: Count = 20 * 1024
    graphql_max_batch_operations: Count = 10
    graphql_max_estimated_items: Count = 2000
    graphql_max_requests: Count = 50
    """DynamoDB requests a document may cause, estimated before execution (graphql_api.graphql.cost)."""
    max_body_bytes: Count = 1024 * 1024
    graphql_trusted_documents: str | None = None
    """A manifest of trusted documents (JSON: id -> document), e.g. graphql-codegen's persisted-documents.json."""
    graphql_trusted_documents_only: Flag = False
    """Run the manifest's documents only (needs GRAPHQL_TRUSTED_DOCUMENTS)."""
    graphql_apq_cache_size: Count = 1000
    """Documents remembered per process for automatic persisted queries."""
    graphql_compiled_plans: Flag = True
    """Run known query documents through compiled plans (graphql_api.graphql.compiled)."""
    cors_allow_origins: CommaList = ()
    graphql_introspection: Flag = True
    log_level: Annotated[LogLevel, BeforeValidator(_upper)] = "INFO"
    log_format: Annotated[Literal["json", "text"] | None, BeforeValidator(_lower)] = None
    """Unset: text for the local default, JSON everywhere else (graphql_api.logs)."""
    aws_credentials_configured: Flag = False
    auth_mode: Annotated[Literal["oidc", "none"], BeforeValidator(_lower)] = "oidc"
    auth_issuer: Url = None
    auth_jwks_url: Url = None
    auth_audience: CommaList = ()
    auth_groups_claim: Name = "cognito:groups"
    auth_staff_group: Name = "staff"
    auth_admin_group: Name = "admin"
    auth_clock_skew: Annotated[int, Field(ge=0, le=3600)] = 60
    auth_jwks_refetch_interval: Seconds = 30.0
    auth_jwks_timeout: Seconds = 3.0
    subscription_queue_size: Count = 100
    """Changes one subscriber may fall behind before it is closed (memory stays bounded)."""
    subscriptions_per_connection: Count = 20
    ws_connections_per_identity: Count = 10
    ws_connection_init_timeout: Seconds = 10.0
    stream_max_idle: Seconds = 0.25
    """Longest pause between two reads of an idle stream shard: the worst added latency of an event."""
    live_bus: Annotated[str | None, BeforeValidator(_parse_redis_url)] = None
    """`redis://` or `rediss://` URL of the Valkey/Redis that carries live updates between instances (fed by
    `graphql-api relay` or the stream consumer Lambda); unset: each process reads the streams itself (at most two
    instances)."""
    live_lease_seconds: Seconds = 10.0
    """How long a relay's lease on a stream shard lasts unrenewed: the longest a dead relay's shards wait for
    another relay."""
    live_single_table: Flag = False
    """The Lambda stream consumer follows the single-table migration (Terraform sets it with single_table_enabled and
    the live bus): the single table's records published as their old tables', every record through the bus's
    shared filter (graphql_api.live.consumer). The relays follow the phase themselves and need no setting."""
    cognito_endpoint_url: Url = None
    """Where `graphql-api token` signs in: a Cognito-compatible server instead of AWS (the service never uses it)."""
    # Rate limits (docs/rate-limits.md): on by default, budgets of estimated DynamoDB requests per window and
    # identity (a signed-in subject, else the client address), shared by every instance through RATE_LIMIT_STORE.
    rate_limit_enabled: Flag = True
    """Charge every GraphQL request to its caller's budgets and refuse it with 429 RATE_LIMITED over them."""
    rate_limit_store: Annotated[str | None, BeforeValidator(_parse_rate_limit_store)] = None
    """`dynamodb`: the RateLimits table; `redis://` or `rediss://` URL: that Valkey/Redis (both shared by every
    instance); `memory`: this process only (one instance). Unset: LIVE_BUS's Redis if set, else `dynamodb`."""
    rate_limit_window_seconds: Count = 60
    """The length of a budget's fixed window: the counters start again at every multiple of it (Unix time)."""
    rate_limit_anonymous: Count = 600
    """DynamoDB requests (estimated before execution, reconciled after) per window for one client address."""
    rate_limit_customer: Count = 1200
    """The same for one signed-in customer (by token subject): 300 canonical queries a minute at the defaults."""
    rate_limit_staff: Count = 6000
    """The same for one staff member."""
    rate_limit_admin: Count = 30000
    """The same for one admin (and for every caller under AUTH_MODE=none, by client address)."""
    rate_limit_anonymous_mutations: Count = 60
    """Of those, the requests of mutations (an anonymous caller's): a budget of its own, smaller."""
    rate_limit_customer_mutations: Count = 300
    """A customer's budget of mutation requests per window."""
    rate_limit_staff_mutations: Count = 3000
    """A staff member's budget of mutation requests per window."""
    rate_limit_admin_mutations: Count = 15000
    """An admin's budget of mutation requests per window."""
    rate_limit_trusted_proxies: CommaList = ()
    """Addresses or networks (CIDR) of the proxies whose X-Forwarded-For names the client; nobody else's is read."""
    rate_limit_fail_open: Flag = True
    """When the store does not answer: serve (and log a warning) rather than refuse everyone with UNAVAILABLE."""
    rate_limit_store_timeout: Seconds = 0.5
    """Seconds a charge may wait for the store before it counts as not answering; then the store is not asked
    again for a second, so an outage of DynamoDB does not add this wait to every request."""

    # The move to single-table (docs/migrating-to-single-table.md; graphql_api.ops.single_table).
    single_table_name: Name = "App"
    """The single table's name, after TABLE_PREFIX (`dev-App`)."""
    migration_poll_seconds: Annotated[float, Field(gt=0, le=10)] = 5.0
    """Seconds between each instance's reads of the migration's phase (graphql_api.migration.watch): a change of
    phase is followed within this, plus one read, without a restart (SPEC 14 asks for 10 seconds)."""

    # The audit trail (docs/observability.md#audit-trail): every change of a customer, order, product or review,
    # recorded from the streams in AuditLog (graphql_api.live.audit says where it is written).
    audit_trail: Flag = True
    """Record changes in AuditLog from each instance's stream readers (with LIVE_BUS: the relay's instead)."""
    audit_retention_days: Annotated[int, Field(ge=1, le=3650)] = 365
    """Days an audit entry is kept (its ExpiresAt, DynamoDB's time to live): it holds personal data."""

    # A CDN in front (docs/caching.md; graphql_api.http.conditional_get): GETs of trusted documents that read public
    # data only carry a strong ETag and this Cache-Control; everything else is `private, no-store`.
    public_cache_control: Name = "public, max-age=0, s-maxage=30, stale-while-revalidate=30"
    """Cache-Control of a public answer: browsers revalidate each time (a cheap 304), a CDN keeps it 30 s."""
    public_cache_follow_changes: Flag = True
    """Follow the streams (or LIVE_BUS) so that If-None-Match is answered 304 without running (off on Lambda)."""
    public_cache_entries: Count = 4096
    """Public answers whose ETag this process remembers, to answer If-None-Match without running."""

    # Made once per object and kept by its copies, so cursors stay valid for the life of the process.
    _generated_cursor_secret: str = PrivateAttr(default_factory=lambda: secrets.token_hex(32))

    def __init__(self, **values: Any) -> None:
        try:
            super().__init__(**values)
        except ValidationError as error:
            # `from None`: the validation error would show the inputs, secrets included.
            raise SettingsError(*(_describe(detail) for detail in error.errors(include_url=False))) from None

    @property
    def embedded(self) -> bool:
        """No endpoint and no AWS credentials: `serve` runs the embedded local DynamoDB."""
        return self.dynamodb_endpoint_url is None and not self.aws_credentials_configured

    @property
    def effective_log_format(self) -> Literal["json", "text"]:
        """LOG_FORMAT, else text for the local default (a person at a terminal) and JSON for a pipeline."""
        if self.log_format is not None:
            return self.log_format
        return "text" if self.embedded else "json"

    @property
    def jwks_url(self) -> str | None:
        """Where the issuer's signing keys are: AUTH_JWKS_URL, or the issuer's well-known JWKS."""
        if self.auth_jwks_url is not None:
            return self.auth_jwks_url
        if self.auth_issuer is None:
            return None
        return f"{self.auth_issuer.rstrip('/')}/.well-known/jwks.json"

    @property
    def cursor_secrets(self) -> tuple[str, ...]:
        """The cursor HMAC keys, never empty: the first signs, all verify (rotation)."""
        if self.cursor_secret:
            return tuple(secret.get_secret_value() for secret in self.cursor_secret)
        return (self._generated_cursor_secret,)

    @property
    def cursor_secret_configured(self) -> bool:
        return bool(self.cursor_secret)

    def replace(self, **changes: Any) -> Settings:
        """A validated copy with `changes` applied (an unset cursor secret stays the same random one)."""
        validated = Settings(**{**dict(self), **changes})
        return self.model_copy(update=dict(validated))

    def with_endpoint(self, endpoint_url: str) -> Settings:
        return self.replace(dynamodb_endpoint_url=endpoint_url)


class _Environment(BaseSettings, Settings):
    """`Settings` read from environment variables named like the fields, then the `.env` file."""

    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    def __init__(self, env_file: str | None, **values: Any) -> None:
        super().__init__(_env_file=env_file, **values)


class _AwsCredentials(BaseSettings):
    """The AWS credential settings, read like the others: any of them set means the operator set up AWS
    credentials, so `serve` must not go embedded."""

    model_config = SettingsConfigDict(extra="ignore", env_file_encoding="utf-8")

    aws_access_key_id: str = ""
    aws_profile: str = ""
    aws_web_identity_token_file: str = ""
    aws_container_credentials_relative_uri: str = ""
    aws_container_credentials_full_uri: str = ""

    def __init__(self, env_file: str | None) -> None:
        super().__init__(_env_file=env_file)

    @property
    def configured(self) -> bool:
        return any(dict(self).values())


_SECRET_SETTINGS = frozenset({"cursor_secret"})


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read the settings from the environment; a `.env` file, if present, fills in the gaps.

    Raises `SettingsError` listing every invalid setting.
    """
    env_file = env_file if env_file and os.path.exists(env_file) else None
    try:
        environment = _Environment(env_file, aws_credentials_configured=_AwsCredentials(env_file).configured)
    except pydantic_settings.SettingsError as error:
        raise SettingsError(str(error)) from None
    return Settings(**dict(environment))


def check_safe_to_serve(settings: Settings) -> list[str]:
    """Warnings to log at start; raises `SettingsError` when serving with these settings would be unsafe."""
    if settings.auth_mode == "none":
        warnings = [
            "AUTH_MODE=none: the API is OPEN TO ANYONE, no token is checked and every caller acts as admin (reads "
            "and changes every customer, order and product). Set AUTH_MODE=oidc and AUTH_ISSUER to require tokens."
        ]
        if not settings.cursor_secret_configured:
            warnings.append(
                "CURSOR_SECRET is not set: cursors are signed with a random secret of this process, so another "
                "instance or a restart rejects them."
            )
        return warnings
    problems = []
    if settings.auth_issuer is None:
        problems.append(
            "AUTH_ISSUER is not set: set it to the OpenID Connect issuer whose access tokens to accept (for Cognito "
            "https://cognito-idp.<region>.amazonaws.com/<user-pool-id>), or set AUTH_MODE=none to serve an open API "
            "where every caller acts as admin."
        )
    if not settings.cursor_secret_configured:
        problems.append(
            "CURSOR_SECRET is not set: set one or more comma-separated secrets (the first signs, all verify), the same "
            "on every instance; with a random secret per process, instances behind a load balancer (or "
            "`serve --workers N`) reject each other's cursors."
        )
    if problems:
        raise SettingsError(*problems)
    if not settings.auth_audience:
        return [
            "AUTH_AUDIENCE is not set: access tokens the issuer made for any of its clients are accepted; "
            "set it to the client ids of your apps."
        ]
    return []


def _describe(error: ErrorDetails) -> str:
    """One line about one invalid setting, named by its environment variable."""
    field = str(error["loc"][0]) if error["loc"] else ""
    name = field.upper() or "SETTINGS"
    kind, context = error["type"], error.get("ctx", {})
    if kind == "value_error":
        return f"{name} {context['error']}"  # our validators' messages say what they got, unless it is a secret
    if kind == "extra_forbidden":
        return f"{name} is not a setting"
    messages = {
        "greater_than_equal": f"must be at least {_bound(context.get('ge'))}",
        "greater_than": f"must be greater than {_bound(context.get('gt'))}",
        "less_than_equal": f"must be at most {_bound(context.get('le'))}",
        "less_than": f"must be less than {_bound(context.get('lt'))}",
        "int_parsing": "must be a whole number",
        "int_from_float": "must be a whole number",
        "int_type": "must be a whole number",
        "float_parsing": "must be a number",
        "float_type": "must be a number",
        "finite_number": "must be a finite number",
        "literal_error": f"must be {context.get('expected')}",
        "string_too_short": "must not be empty",
        "string_type": "must be a string",
        "bool_type": "must be true or false",
    }
    message = messages.get(kind, error["msg"][:1].lower() + error["msg"][1:])
    if field in _SECRET_SETTINGS:
        return f"{name} {message}"
    return f"{name} {message}, got {_shown(error['input'])}"


def _bound(value: object) -> str:
    return f"{value:g}" if isinstance(value, float) else str(value)


def _shown(value: object) -> str:
    """A rejected value as the operator wrote it: numbers bare, anything else quoted, long values cut."""
    text = str(value)
    try:
        float(text)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 80 else f"{text[:77]}..."
