"""The `graphql-api` command line: one module per command group, each command declared once (its name, help,
arguments and handler together, graphql_api.cli.command) and listed in graphql_api.cli.main.COMMANDS."""

from graphql_api.cli.main import build_parser, main
from graphql_api.cli.queries import EXAMPLE_QUERY, ME_QUERY

_parser = build_parser
"""The name the tests and the runbook check use for the parser."""

__all__ = ["EXAMPLE_QUERY", "ME_QUERY", "_parser", "build_parser", "main"]
