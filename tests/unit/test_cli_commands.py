"""Each command of `graphql-api` is declared once (graphql_api.cli.command): the parser built from the list of them
chooses, for every leaf command, the handler declared beside its arguments."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from graphql_api.cli.command import Command, Group
from graphql_api.cli.main import COMMANDS, build_parser


def leaves(commands: Sequence[Command | Group], path: tuple[str, ...] = ()) -> Iterator[tuple[list[str], Command]]:
    for command in commands:
        if isinstance(command, Group):
            yield from leaves(command.commands, (*path, command.name))
        else:
            yield [*path, command.name], command


def positionals(command: Command) -> list[str]:
    """A value for each positional argument: a choice where it has choices, a number where it takes one."""
    return [
        str(argument.options.get("choices", ["1" if argument.options.get("type") in (int, float) else "x"])[0])
        for argument in command.arguments
        if not argument.names[0].startswith("-")
    ]


def test_every_command_runs_its_own_handler() -> None:
    parser = build_parser()
    chosen = {}
    for words, command in leaves(COMMANDS):
        args = parser.parse_args([*words, *positionals(command)])
        assert args.handler is command.run, f"graphql-api {' '.join(words)} runs {args.handler.__name__}"
        chosen[" ".join(words)] = args.handler
    assert len(set(chosen.values())) == len(chosen), "two commands share a handler"
    assert "tables verify" in chosen
    assert "package lambda" in chosen


def test_a_group_names_its_chosen_subcommand() -> None:
    args = build_parser().parse_args(["tables", "verify"])
    assert (args.command, args.tables_command) == ("tables", "verify")
