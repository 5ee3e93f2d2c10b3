"""graphql_api.compiled_texts: dataclasses and forward references made from recorded code are the ones Python makes."""

from __future__ import annotations

import dataclasses
import importlib
import sys
import typing
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

from graphql_api import compiled_texts

SAMPLE = """
import dataclasses
import typing

@dataclasses.dataclass(frozen=True, kw_only=True)
class Line:
    sku: str
    quantity: int = 1
    tags: list[str] = dataclasses.field(default_factory=list)

@dataclasses.dataclass(order=True)
class Money:
    cents: int
    currency: str = "EUR"

class Tree:
    children: "list[Tree]"
    label: "typing.Optional[str]"

HINTS = typing.get_type_hints(Tree)
"""

NAMES = ("dc_sample_plain", "dc_sample_recorded", "dc_sample_replayed")


@pytest.fixture
def modules(tmp_path: Path) -> Iterator[Path]:
    """Modules of the same source: one made as usual, one to record, one to make from the record."""
    for name in NAMES:
        (tmp_path / f"{name}.py").write_text(SAMPLE)
    sys.path.insert(0, str(tmp_path))
    try:
        yield tmp_path
    finally:
        sys.path.remove(str(tmp_path))
        for name in NAMES:
            sys.modules.pop(name, None)


def methods(module: ModuleType) -> dict[str, object]:
    found: dict[str, object] = {}
    for cls in (module.Line, module.Money):
        for name in ("__init__", "__eq__", "__lt__", "__setattr__", "__hash__", "__repr__"):
            function = cls.__dict__.get(name)
            if function is not None:
                found[f"{cls.__name__}.{name}"] = (function.__code__, function.__annotations__)
    return found


def test_a_dataclass_made_from_recorded_code_is_the_compiled_one(modules: Path) -> None:
    codes = compiled_texts.record(["dc_sample_recorded"])
    assert (len(codes["exec"]) >= 6, len(codes["eval"]) >= 2) == (True, True)
    compiled_texts.write(codes, modules / compiled_texts.FILE_NAME)
    with compiled_texts.precompiled(modules / compiled_texts.FILE_NAME) as uses:
        replayed = importlib.import_module("dc_sample_replayed")
    plain = importlib.import_module("dc_sample_plain")
    assert (uses.hits, uses.misses) == (len(codes["exec"]) + len(codes["eval"]), 0)
    # The same code and real (not stringified) annotations: the recording module's __future__ does not leak in.
    assert methods(replayed) == methods(plain)
    assert replayed.Line.__init__.__annotations__["quantity"] is int
    line = replayed.Line(sku="A-1", quantity=2)
    assert (line.tags, line) == ([], replayed.Line(sku="A-1", quantity=2))
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.sku = "B"
    assert replayed.Money(1) < replayed.Money(2)
    assert typing.get_type_hints(replayed.Tree) == replayed.HINTS  # typing's own compile, outside the block
    assert replayed.HINTS["label"] == str | None
    assert (hasattr(dataclasses, "exec"), hasattr(typing, "compile")) == (False, False)  # the builtins again


def test_a_file_of_another_python_version_is_ignored(modules: Path) -> None:
    path = modules / compiled_texts.FILE_NAME
    codes = compiled_texts.record(["dc_sample_recorded"])
    compiled_texts.write(codes, path)
    path.write_bytes(b"\x00\x00\r\n" + path.read_bytes()[4:])
    assert compiled_texts.read(path) == {}
    with compiled_texts.precompiled(path) as uses:
        replayed = importlib.import_module("dc_sample_replayed")
    assert (uses.hits, uses.misses) == (0, 0)
    assert methods(replayed) == methods(importlib.import_module("dc_sample_plain"))
