"""Settings: read once from environment variables (and an optional `.env` file), then passed down."""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass, field, replace

from starlette.config import Config


@dataclass(frozen=True)
class Settings:
    """Every setting of the service, with its documented default (see the README's settings table)."""

    dynamodb_endpoint_url: str | None = None
    aws_region: str = "us-east-1"
    table_prefix: str = "dev-"
    dynamodb_client: str = "aiobotocore"
    dynamodb_max_pool_connections: int = 64
    dynamodb_connect_timeout: float = 2.0
    dynamodb_read_timeout: float = 5.0
    dynamodb_max_attempts: int = 3
    batch_get_max_retries: int = 6
    batch_get_base_delay: float = 0.025
    filter_read_budget: int = 10
    cursor_secret: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    graphql_max_depth: int = 10
    graphql_max_aliases: int = 30
    graphql_max_root_fields: int = 10
    graphql_max_document_bytes: int = 20 * 1024
    graphql_max_batch_operations: int = 10
    graphql_max_estimated_items: int = 2000
    max_body_bytes: int = 1024 * 1024
    cors_allow_origins: tuple[str, ...] = ()
    graphql_introspection: bool = True
    log_level: str = "INFO"
    aws_credentials_configured: bool = False

    @property
    def embedded(self) -> bool:
        """No endpoint and no AWS credentials: `serve` runs the embedded local DynamoDB."""
        return self.dynamodb_endpoint_url is None and not self.aws_credentials_configured

    def with_endpoint(self, endpoint_url: str) -> Settings:
        return replace(self, dynamodb_endpoint_url=endpoint_url)


# Any of these means the operator set up AWS credentials, so `serve` must not go embedded.
_AWS_CREDENTIAL_SETTINGS = (
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
)


def load_settings(env_file: str | None = ".env") -> Settings:
    """Read the settings from the environment; a `.env` file, if present, fills in the gaps."""
    config = Config(env_file if env_file and os.path.exists(env_file) else None)
    defaults = Settings(cursor_secret="")
    secret = config("CURSOR_SECRET", cast=str, default="") or secrets.token_hex(32)
    return Settings(
        dynamodb_endpoint_url=config("DYNAMODB_ENDPOINT_URL", cast=str, default="") or None,
        aws_region=config("AWS_REGION", cast=str, default=defaults.aws_region),
        table_prefix=config("TABLE_PREFIX", cast=str, default=defaults.table_prefix),
        dynamodb_client=config("DYNAMODB_CLIENT", cast=str, default=defaults.dynamodb_client),
        dynamodb_max_pool_connections=config(
            "DYNAMODB_MAX_POOL_CONNECTIONS", cast=int, default=defaults.dynamodb_max_pool_connections
        ),
        dynamodb_connect_timeout=config(
            "DYNAMODB_CONNECT_TIMEOUT", cast=float, default=defaults.dynamodb_connect_timeout
        ),
        dynamodb_read_timeout=config("DYNAMODB_READ_TIMEOUT", cast=float, default=defaults.dynamodb_read_timeout),
        dynamodb_max_attempts=config("DYNAMODB_MAX_ATTEMPTS", cast=int, default=defaults.dynamodb_max_attempts),
        batch_get_max_retries=config("BATCH_GET_MAX_RETRIES", cast=int, default=defaults.batch_get_max_retries),
        batch_get_base_delay=config("BATCH_GET_BASE_DELAY", cast=float, default=defaults.batch_get_base_delay),
        filter_read_budget=config("FILTER_READ_BUDGET", cast=int, default=defaults.filter_read_budget),
        cursor_secret=secret,
        graphql_max_depth=config("GRAPHQL_MAX_DEPTH", cast=int, default=defaults.graphql_max_depth),
        graphql_max_aliases=config("GRAPHQL_MAX_ALIASES", cast=int, default=defaults.graphql_max_aliases),
        graphql_max_root_fields=config("GRAPHQL_MAX_ROOT_FIELDS", cast=int, default=defaults.graphql_max_root_fields),
        graphql_max_document_bytes=config(
            "GRAPHQL_MAX_DOCUMENT_BYTES", cast=int, default=defaults.graphql_max_document_bytes
        ),
        graphql_max_batch_operations=config(
            "GRAPHQL_MAX_BATCH_OPERATIONS", cast=int, default=defaults.graphql_max_batch_operations
        ),
        graphql_max_estimated_items=config(
            "GRAPHQL_MAX_ESTIMATED_ITEMS", cast=int, default=defaults.graphql_max_estimated_items
        ),
        max_body_bytes=config("MAX_BODY_BYTES", cast=int, default=defaults.max_body_bytes),
        cors_allow_origins=tuple(
            origin.strip() for origin in config("CORS_ALLOW_ORIGINS", cast=str, default="").split(",") if origin.strip()
        ),
        graphql_introspection=config("GRAPHQL_INTROSPECTION", cast=bool, default=defaults.graphql_introspection),
        log_level=config("LOG_LEVEL", cast=str, default=defaults.log_level),
        aws_credentials_configured=any(config(name, default="") for name in _AWS_CREDENTIAL_SETTINGS),
    )
