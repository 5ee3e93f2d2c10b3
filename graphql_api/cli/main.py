"""The `graphql-api` command: serve, token, tables create|verify, seed, explore, check-patterns, explain, backfill,
validate,
export, schema, erd, docs, package lambda, relay, audit erase.

The local default (`serve` with no endpoint and no AWS credentials) runs moto's DynamoDB and Cognito in
process: a user pool with the demo users (graphql_api.local.user_pool), the demo data with Ada bound to her
identity, and the service verifying that pool's tokens with a cursor secret made up for the run. It listens
on loopback only unless `--allow-forgeable-tokens`, since anyone can sign tokens for moto's pool. It prints
the users, their password, Ada's `Authorization` header and the example query through `me`; GraphiQL opens
on them, with a token signed in again every 30 minutes (tokens live 1 hour).

`token EMAIL` signs in to the pool named by AUTH_ISSUER and AUTH_AUDIENCE (plus COGNITO_ENDPOINT_URL for
a Cognito-compatible server), or else to the local default running in the working directory.
"""

from __future__ import annotations

import argparse
import sys

from graphql_api.cli.audit import AUDIT
from graphql_api.cli.backfill import BACKFILL
from graphql_api.cli.command import Command, Group, fail, logger, parser_for
from graphql_api.cli.data import CHECK_PATTERNS, EXPLORE, EXPORT, SEED, VALIDATE
from graphql_api.cli.dynamo_target import NoDynamoDB
from graphql_api.cli.explain import EXPLAIN
from graphql_api.cli.migrate import MIGRATE
from graphql_api.cli.package import PACKAGE
from graphql_api.cli.reference import DOCS, ERD, SCHEMA
from graphql_api.cli.relay import RELAY
from graphql_api.cli.serve import SERVE
from graphql_api.cli.tables import TABLES
from graphql_api.cli.token import TOKEN
from graphql_api.local.user_pool import UserPoolNotConfigured
from graphql_api.logs import configure_logging
from graphql_api.settings import SettingsError, load_settings

COMMANDS: tuple[Command | Group, ...] = (
    SERVE,
    TOKEN,
    TABLES,
    SEED,
    EXPLORE,
    CHECK_PATTERNS,
    EXPLAIN,
    BACKFILL,
    VALIDATE,
    EXPORT,
    SCHEMA,
    ERD,
    DOCS,
    PACKAGE,
    RELAY,
    AUDIT,
    MIGRATE,
)
"""Every command, in the order `--help` and the CLI reference page list them: a new one is declared in its module
and named here."""


def build_parser() -> argparse.ArgumentParser:
    return parser_for("graphql-api", __doc__, COMMANDS)


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as error:  # one line per setting, each naming its environment variable
        # Plain text: with the settings unusable, LOG_FORMAT itself may be what is wrong.
        print(f"graphql-api: the settings are not usable:\n{error}", file=sys.stderr)
        return 2
    configure_logging(settings.effective_log_format, settings.log_level)
    try:
        code: int = args.handler(settings, args)
    except SettingsError as error:  # unsafe settings, found when the command starts
        fail(f"{args.command}: the settings are not usable:\n{error}")
        return 2
    except (NoDynamoDB, UserPoolNotConfigured) as error:
        fail(f"{args.command}: {error}")
        return 2
    except Exception:
        logger.exception(f"{args.command} failed")
        return 1
    return code
