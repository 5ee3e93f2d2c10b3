"""Dataclasses' generated methods compiled ahead of time, for the Lambda zip's init phase.

`dataclasses` writes each method it generates (`__init__`, `__eq__`, `__setattr__`, ...) as source text and
compiles that text when the class is made: about 1,100 texts and 80 ms of CPU while the service's stack is
imported (graphql-core's AST nodes, Strawberry's types and the service's own are dataclasses), an eighth of a
Lambda cold start (bench.lambda_start). `graphql-api package lambda` runs `main` with the runtime's Python on
the zip's files: it imports what the init phase imports and writes every text with its code object to
`FILE_NAME`. The init phase (graphql_api.aws_lambda) makes its dataclasses inside `precompiled`, which runs the
recorded code instead of compiling the same text again. A text compiles to the same code wherever it is
compiled (tests/lambda_ compares every entry with a fresh compile and the classes made both ways); a text not
recorded is compiled as usual; a file written by another Python version is ignored.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
import marshal
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType
from typing import Any

FILE_NAME = "dataclass-code.marshal"
"""At the zip's root, beside the packages."""
LAMBDA_INIT_MODULES = ("mangum", "mangum.protocols", "graphql_api.logs", "graphql_api.app")
"""What graphql_api.aws_lambda's init phase imports (and with them the whole stack)."""
_HEADER = importlib.util.MAGIC_NUMBER
"""The bytecode version the code objects were made for: marshal's format and the code itself change with it."""

Exec = Callable[..., None]


@dataclass
class Uses:
    """Texts run from the file (`hits`) and compiled because they were not in it (`misses`)."""

    hits: int = 0
    misses: int = 0


def compiled(text: str) -> CodeType:
    """As `dataclasses` compiles it: `dont_inherit`, so that this module's `from __future__` does not apply."""
    return compile(text, "<string>", "exec", dont_inherit=True)


def record(modules: Iterable[str]) -> dict[str, CodeType]:
    """Import `modules` (in a fresh process) and return the code of every text dataclasses compiled meanwhile."""
    recorded: dict[str, CodeType] = {}

    def recording(source: Any, globals: Any = None, locals: Any = None) -> None:
        if isinstance(source, str):
            code = recorded[source] = compiled(source)
            source = code
        exec(source, globals, locals)  # noqa: S102 (dataclasses' own call: the text it generated)

    with _dataclasses_exec(recording):
        for module in modules:
            importlib.import_module(module)
    return recorded


def write(codes: dict[str, CodeType], path: Path) -> None:
    path.write_bytes(_HEADER + marshal.dumps(codes))


def read(path: Path) -> dict[str, CodeType]:
    """The recorded code by text; none when there is no file or another Python version wrote it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    codes: dict[str, CodeType] = marshal.loads(data[len(_HEADER) :])  # noqa: S302 (the zip's own file, as its .pyc)
    return codes


@contextmanager
def precompiled(path: Path) -> Iterator[Uses]:
    """Dataclasses made inside run the code recorded in `path` for the texts it holds (none: nothing changes)."""
    codes = read(path)
    uses = Uses()
    if not codes:
        yield uses
        return

    def cached(source: Any, globals: Any = None, locals: Any = None) -> None:
        if isinstance(source, str):
            code = codes.get(source)
            if code is None:
                uses.misses += 1
                code = compiled(source)
            else:
                uses.hits += 1
            source = code
        exec(source, globals, locals)  # noqa: S102 (dataclasses' own call: the text it generated)

    with _dataclasses_exec(cached):
        yield uses


@contextmanager
def _dataclasses_exec(replacement: Exec) -> Iterator[None]:
    """`dataclasses` calls `exec` by its global name: a module global of that name shadows the builtin."""
    setattr(dataclasses, "exec", replacement)  # noqa: B010 (a name the module does not define)
    try:
        yield
    finally:
        delattr(dataclasses, "exec")


def main(argv: list[str]) -> int:
    """`python -m graphql_api.dataclass_code OUTPUT`: record the Lambda init phase's texts into OUTPUT."""
    codes = record(LAMBDA_INIT_MODULES)
    write(codes, Path(argv[0]))
    print(len(codes))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
