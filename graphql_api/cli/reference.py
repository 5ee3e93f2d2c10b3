"""The commands that print what the code declares: schema, erd, docs (the site's generated pages)."""

from __future__ import annotations

import argparse
from pathlib import Path

from graphql_api.cli.command import Command, argument
from graphql_api.settings import Settings


def print_schema(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.graphql.schema import build_schema

    print(build_schema(settings).as_str())
    return 0


def print_erd(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.ops.erd import mermaid

    print(mermaid(), end="")
    return 0


def docs(settings: Settings, args: argparse.Namespace) -> int:
    """Write the documentation site's generated pages (or, with --check, name the stale ones)."""
    # The CLI reference page is made from the parser, which lists this command: imported when it runs.
    from graphql_api.cli.main import build_parser
    from graphql_api.ops.docs_pages import stale_pages, write_pages

    directory: Path = args.directory
    if args.check:
        stale = stale_pages(directory, build_parser())
        for name in stale:
            print(f"stale: {directory / name} (run `graphql-api docs`)")
        return 1 if stale else 0
    for path in write_pages(directory, build_parser()):
        print(directory / path)
    return 0


SCHEMA = Command("schema", help="print the GraphQL SDL", run=print_schema)

ERD = Command(
    "erd", help="print the model as a Mermaid entity-relationship diagram (tables, keys, GSIs)", run=print_erd
)

DOCS = Command(
    "docs",
    help="write the documentation site's generated pages (entities, ERD, settings, CLI, error codes)",
    description="Generate docs/reference/ from the code's declarations: one page per entity, the ERD, the "
    "settings, this command line and the error codes. A unit test fails while a committed page is stale.",
    run=docs,
    arguments=(
        argument("--directory", type=Path, default=Path("docs"), help="the docs directory (default docs)"),
        argument("--check", action="store_true", help="write nothing; exit 1 naming the stale pages"),
    ),
)
