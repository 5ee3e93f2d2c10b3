"""Texts the standard library compiles at run time, compiled ahead of time for the Lambda zip's init phase.

`dataclasses` writes each method it generates (`__init__`, `__eq__`, `__setattr__`, ...) as source text and
compiles it when the class is made, and `typing` compiles every forward reference (`"Order"`, `list["Item"]`,
every annotation under `from __future__ import annotations`) when Strawberry resolves it: about 1,300 and
2,300 texts, 80 and 15 ms of CPU while the service's stack is imported (graphql-core's AST nodes, Strawberry's
types and the service's own are dataclasses), a seventh of a Lambda cold start (bench.lambda_start).
`graphql-api package lambda` runs `main` with the runtime's Python on the zip's files: it imports what the init
phase imports and writes every text with its code object to `FILE_NAME`. The init phase
(graphql_api.aws_lambda) runs inside `precompiled`, which hands those modules the recorded code instead of
compiling the same text again. A text compiles to the same code wherever it is compiled (tests compare the
zip's entries with a fresh compile, and classes made both ways); a text not recorded is compiled as usual; a
file written by another Python version is ignored.
"""

from __future__ import annotations

import builtins
import dataclasses
import importlib
import importlib.util
import marshal
import sys
import typing
from collections.abc import Iterable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import CodeType, ModuleType
from typing import Any

FILE_NAME = "compiled-texts.marshal"
"""At the zip's root, beside the packages."""
LAMBDA_INIT_MODULES = ("mangum", "mangum.protocols", "graphql_api.logs", "graphql_api.app")
"""What graphql_api.aws_lambda's init phase imports (and with them the whole stack)."""
_HEADER = importlib.util.MAGIC_NUMBER
"""The bytecode version the code objects were made for: marshal's format and the code itself change with it."""

Codes = dict[str, dict[str, CodeType]]
"""By mode ("exec": dataclasses' methods, "eval": typing's forward references), then by text."""


@dataclass
class Uses:
    """Texts run from the file (`hits`) and compiled because they were not in it (`misses`)."""

    hits: int = 0
    misses: int = 0


def compiled(text: str, mode: str) -> CodeType:
    """As `dataclasses` and `typing` compile it: `dont_inherit`, so that this module's `__future__` does not apply."""
    return compile(text, "<string>", mode, dont_inherit=True)


def record(modules: Iterable[str]) -> Codes:
    """Import `modules` (in a fresh process) and return the code of every text compiled meanwhile."""
    recorded: Codes = {"exec": {}, "eval": {}}

    def recording(text: str, mode: str) -> CodeType:
        code = recorded[mode][text] = compiled(text, mode)
        return code

    with _compiling(recording):
        for module in modules:
            importlib.import_module(module)
    return recorded


def write(codes: Codes, path: Path) -> None:
    path.write_bytes(_HEADER + marshal.dumps(codes))


def read(path: Path) -> Codes:
    """The recorded code; none when there is no file or another Python version wrote it."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return {}
    if not data.startswith(_HEADER):
        return {}
    codes: Codes = marshal.loads(data[len(_HEADER) :])  # noqa: S302 (the zip's own file, as its .pyc files)
    return codes


@contextmanager
def precompiled(path: Path) -> Iterator[Uses]:
    """Dataclasses and forward references made inside run the code recorded in `path` for the texts it holds."""
    codes = read(path)
    uses = Uses()
    if not codes:
        yield uses
        return

    def cached(text: str, mode: str) -> CodeType:
        code = codes[mode].get(text)
        if code is None:
            uses.misses += 1
            return compiled(text, mode)
        uses.hits += 1
        return code

    with _compiling(cached):
        yield uses


@contextmanager
def _compiling(code_of: Any) -> Iterator[None]:
    """`dataclasses` calls `exec` and `typing` calls `compile` by their global names: a module global of that name
    shadows the builtin, in that module only, until the block ends."""

    def dataclasses_exec(source: Any, globals: Any = None, locals: Any = None) -> None:
        if isinstance(source, str):
            source = code_of(source, "exec")
        exec(source, globals, locals)  # noqa: S102 (dataclasses' own call: the text it generated)

    def typing_compile(source: Any, filename: Any, mode: str, *args: Any, **kwargs: Any) -> Any:
        if isinstance(source, str) and filename == "<string>" and mode == "eval" and not args and not kwargs:
            return code_of(source, "eval")
        return builtins.compile(source, filename, mode, *args, **kwargs)

    with ExitStack() as stack:
        stack.enter_context(_shadowed(dataclasses, "exec", dataclasses_exec))
        stack.enter_context(_shadowed(typing, "compile", typing_compile))
        yield


@contextmanager
def _shadowed(module: ModuleType, name: str, replacement: object) -> Iterator[None]:
    setattr(module, name, replacement)
    try:
        yield
    finally:
        delattr(module, name)


def main(argv: list[str]) -> int:
    """`python -m graphql_api.compiled_texts OUTPUT`: record the Lambda init phase's texts into OUTPUT."""
    codes = record(LAMBDA_INIT_MODULES)
    write(codes, Path(argv[0]))
    print(" ".join(f"{mode}: {len(texts)}" for mode, texts in codes.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
