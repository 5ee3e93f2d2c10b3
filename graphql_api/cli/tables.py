"""`graphql-api tables create|verify`: the declared tables at the configured endpoint."""

from __future__ import annotations

import argparse

from graphql_api.cli.command import Command, Group
from graphql_api.cli.dynamo_target import with_dynamo
from graphql_api.settings import Settings


def tables_create(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.table_admin import create_tables

    created = with_dynamo(settings, create_tables)
    print("created: " + ", ".join(created) if created else "all tables already exist")
    return 0


def tables_verify(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.table_verify import inspect, report_lines

    found = with_dynamo(settings, inspect)
    where = settings.dynamodb_endpoint_url or f"AWS {settings.aws_region}"
    print("\n".join(report_lines(found.drifts, prefix=settings.table_prefix, where=where, notes=found.notes)))
    return 1 if found.drifts else 0


TABLES = Group(
    "tables",
    help="manage the tables at the configured endpoint",
    commands=(
        Command("create", help="create the declared tables that are missing (idempotent)", run=tables_create),
        Command(
            "verify",
            help="compare the live tables with the declarations; one line per difference, exit code 1 on drift",
            run=tables_verify,
        ),
    ),
)
