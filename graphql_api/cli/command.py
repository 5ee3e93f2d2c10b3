"""A command of `graphql-api`, declared once: its name, help, arguments and handler side by side. The parser is
built from the list of them (graphql_api.cli.main), and `main` calls the handler of the command chosen."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from graphql_api.settings import Settings

Handler = Callable[["Settings", argparse.Namespace], int]
"""What a command does, given the settings and its parsed arguments; returns the exit code."""

logger = logging.getLogger("graphql_api.cli")


def fail(message: str) -> None:
    """A command's refusal or failure: a log line (JSON in production, graphql_api.logs), not a bare print."""
    logger.error(message)


@dataclass(frozen=True)
class Argument:
    """One `add_argument` call: the names and keywords argparse takes."""

    names: tuple[str, ...]
    options: dict[str, Any]


def argument(*names: str, **options: Any) -> Argument:
    return Argument(names, options)


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    run: Handler
    arguments: tuple[Argument, ...] = ()
    description: str | None = None


@dataclass(frozen=True)
class Group:
    """A command whose subcommands do the work (`tables create`); the chosen one's name is `<name>_command`."""

    name: str
    help: str
    commands: tuple[Command | Group, ...]


def parser_for(prog: str, description: str | None, commands: Sequence[Command | Group]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=prog, description=description)
    _add_commands(parser, "command", commands)
    return parser


def _add_commands(parser: argparse.ArgumentParser, dest: str, commands: Sequence[Command | Group]) -> None:
    chosen = parser.add_subparsers(dest=dest, required=True)
    for command in commands:
        if isinstance(command, Group):
            group = chosen.add_parser(command.name, help=command.help)
            _add_commands(group, f"{command.name}_command", command.commands)
            continue
        sub = chosen.add_parser(command.name, help=command.help, description=command.description)
        for each in command.arguments:
            sub.add_argument(*each.names, **each.options)
        sub.set_defaults(handler=command.run)  # main calls args.handler


def positive(text: str) -> int:
    """An argument type: a whole number of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, not {value}")
    return value
