"""The service installs and imports without moto: moto (and its web server) is the `local` extra only."""

from __future__ import annotations

import subprocess
import sys
import tomllib

from tests.backends import ROOT

# Run in a fresh interpreter where moto, and the web server it brings, cannot be imported.
WITHOUT_LOCAL_EXTRA = """
import importlib, importlib.abc, pkgutil, sys

class WithoutLocalExtra(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in {"moto", "werkzeug", "flask"}:
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, WithoutLocalExtra())
import graphql_api
for module in pkgutil.walk_packages(graphql_api.__path__, "graphql_api."):
    importlib.import_module(module.name)
from graphql_api.app import create_app
from graphql_api.settings import Settings
create_app(Settings(auth_mode="none"))

from graphql_api.local.embedded import make_moto_server
try:
    make_moto_server("127.0.0.1", 0)
except ImportError as error:
    print(error)
"""


def test_every_module_imports_without_moto() -> None:
    result = subprocess.run(
        [sys.executable, "-c", WITHOUT_LOCAL_EXTRA], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "from the checkout: pip install -e '.[local]'" in result.stdout


def test_moto_is_an_extra_not_a_dependency() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert not [dependency for dependency in project["dependencies"] if dependency.startswith("moto")]
    assert [dependency for dependency in project["optional-dependencies"]["local"] if dependency.startswith("moto")]
    assert "'.[dev,local,export]'" in (ROOT / "scripts" / "bootstrap.sh").read_text()
