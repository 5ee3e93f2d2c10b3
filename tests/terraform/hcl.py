"""Reading Terraform as the Terraform tests do: python-hcl2 for the files, `terraform console` for values.

`terraform console` runs on configurations of variables and locals only (no resource, no module call), so
no provider and no `terraform init` is needed; the variables' types and validation blocks apply as in a plan.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import hcl2


def load_hcl(path: Path) -> dict[str, Any]:
    with path.open(encoding="utf-8") as file:
        document: dict[str, Any] = hcl2.load(file)
    return document


def documents(directory: Path) -> dict[str, list[Any]]:
    """Every top-level block of a directory's .tf files (not recursive), as one document."""
    merged: dict[str, list[Any]] = {}
    for path in sorted(directory.glob("*.tf")):
        for kind, entries in load_hcl(path).items():
            if not kind.startswith("__"):
                merged.setdefault(kind, []).extend(entries)
    return merged


def locals_of(document: Mapping[str, Any]) -> dict[str, Any]:
    return {
        name: value
        for block in document.get("locals", [])
        for name, value in block.items()
        if not name.startswith("__")
    }


def blocks(document: Mapping[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    """Blocks with one label (`variable "x"`, `module "x"`), by label."""
    return {unquoted(label): body for entry in document.get(kind, []) for label, body in entry.items()}


def resources(document: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """Every resource, as `type.name`."""
    return {
        f"{unquoted(kind)}.{unquoted(name)}": body
        for entry in document.get("resource", [])
        for kind, by_name in entry.items()
        for name, body in by_name.items()
    }


def unquoted(text: str) -> str:
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def expression(value: Any) -> str:
    """The source of an HCL expression as python-hcl2 gives it, without its ${...} wrapper ('var.name');
    a quoted template stays quoted."""
    text = str(value)
    if text.startswith("${") and text.endswith("}"):
        return text[2:-1].strip()
    return text


def source(value: Any) -> str:
    """An expression's source without its ${...} wrapper or its quotes."""
    return unquoted(expression(value))


def console(terraform: Path, workdir: Path, expression_: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(terraform), "console", "-no-color"],
        input=f"jsonencode({expression_})\n",
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def terraform_console(terraform: Path, workdir: Path, expression_: str) -> Any:
    """The value of `expression_` in the configuration in `workdir`."""
    completed = console(terraform, workdir, expression_)
    # `terraform console` exits 0 even when a validation fails: look for its diagnostics too.
    assert completed.returncode == 0, completed.stderr
    assert "Error:" not in completed.stderr, completed.stderr
    return json.loads(json.loads(completed.stdout))
