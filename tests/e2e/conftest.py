"""The end-to-end tier: a real browser on GraphiQL and a real Node client against the service under uvicorn.

The tools come from scripts/e2e-setup.sh (Debian's Chromium, the npm packages of e2e/) and GraphiQL's
assets from scripts/graphiql-assets.sh; scripts/test.sh runs both, and the fixtures here run them
again (a quick no-op when done) so that `pytest tests/e2e` works on its own too.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.backends import ROOT, machine_lock

E2E = ROOT / "e2e"
ARTIFACTS = ROOT / "test-artifacts"


@pytest.fixture(scope="session")
def e2e_tools() -> Path:
    """Chromium and e2e/node_modules are installed; returns the e2e/ folder."""
    with machine_lock("e2e-setup"):
        subprocess.run(["bash", str(ROOT / "scripts" / "e2e-setup.sh")], check=True, stdin=subprocess.DEVNULL)
    return E2E


@pytest.fixture(scope="session")
def graphiql_assets() -> Path:
    """GraphiQL's files are in the cache (before any app that should serve them is created)."""
    script = ROOT / "scripts" / "graphiql-assets.sh"
    with machine_lock("graphiql-assets"):
        done = subprocess.run(["bash", str(script)], check=True, capture_output=True, text=True)
    return Path(done.stdout.strip())


def run_node(script: str, *args: str, timeout: float = 120, env: dict[str, str] | None = None) -> dict[str, Any]:
    """Run `node e2e/<script> ARGS` (with `env` added) and return the JSON object it prints; stderr goes into a failure."""
    done = subprocess.run(
        ["node", str(E2E / script), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )
    assert done.returncode == 0, f"node {script} exited {done.returncode}\n{done.stderr}\n{done.stdout}"
    result: dict[str, Any] = json.loads(done.stdout)
    return result
