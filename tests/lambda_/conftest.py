"""Fixtures for the Lambda tests: the deployment zip, built by `graphql-api package lambda` and unpacked into an
empty folder, and the service's settings for `serve` and for the handler.

The zip is cached under `<cache>/graphql-api/lambda/<hash of the runtime dependencies, the installed versions
and the package's sources>/`, so a second run (or CI on the same machine) skips the build.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import zipfile
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from graphql_api.ops.package_lambda import PYTHON_VERSION, source_fingerprint
from graphql_api.ops.seed import write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.settings import Settings
from tests.backends import ROOT, machine_lock, service_process
from tests.fixtures_data import TestData
from tests.support import fresh_settings, run_with_dynamo

CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "graphql-api" / "lambda"
CORS_ORIGIN = "https://app.example.com"
MAX_BODY_BYTES = 64 * 1024


@dataclass(frozen=True)
class BuiltZip:
    path: Path
    build_seconds: float
    """0 when the cached zip was reused."""


@pytest.fixture(scope="session")
def lambda_zip() -> BuiltZip:
    if f"{sys.version_info.major}.{sys.version_info.minor}" != PYTHON_VERSION:
        pytest.skip(f"the zip is built for Python {PYTHON_VERSION}: its compiled modules load in that Python only")
    with machine_lock("lambda-zip"):  # pytest-xdist's workers build it once
        return _built_zip()


def _built_zip() -> BuiltZip:
    fingerprint = source_fingerprint()
    path = CACHE / fingerprint / "graphql-api-lambda.zip"
    if path.is_file():
        return BuiltZip(path, 0.0)
    started = time.perf_counter()
    command = [sys.executable, "-m", "graphql_api.cli", "package", "lambda", "--output", str(path)]
    built = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert built.returncode == 0, built.stderr
    elapsed = time.perf_counter() - started
    for stale in CACHE.iterdir():  # keep only the zip of the current sources
        if stale.name != fingerprint:
            shutil.rmtree(stale, ignore_errors=True)
    return BuiltZip(path, elapsed)


@pytest.fixture(scope="session")
def lambda_folder(lambda_zip: BuiltZip, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked into an empty folder, as Lambda unpacks it into /var/task."""
    folder = tmp_path_factory.mktemp("task")
    with zipfile.ZipFile(lambda_zip.path) as archive:
        archive.extractall(folder)
    return folder


def parity_settings(endpoint: str) -> Settings:
    """Settings with CORS open to one origin and a small body limit, on new tables."""
    return fresh_settings(endpoint, cors_allow_origins=(CORS_ORIGIN,), max_body_bytes=MAX_BODY_BYTES)


def seeded(settings: Settings, data: TestData) -> Settings:
    async def prepare(dynamo: Any) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, data.dataset)

    run_with_dynamo(settings, prepare)
    return settings


@pytest.fixture(scope="session")
def serve_settings(dynamodb_local_endpoint: str, test_data: TestData) -> Settings:
    return seeded(parity_settings(dynamodb_local_endpoint), test_data)


@pytest.fixture(scope="session")
def serve_url(serve_settings: Settings) -> Iterator[str]:
    """`serve`'s app under uvicorn in its own process; yields its base URL (no path)."""
    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:  # service_process passes on the environment it starts in
            patch.setenv("CORS_ALLOW_ORIGINS", ",".join(serve_settings.cors_allow_origins))
            patch.setenv("MAX_BODY_BYTES", str(serve_settings.max_body_bytes))
            url = stack.enter_context(service_process(serve_settings, "lambda-parity-serve.log"))
        yield url.removesuffix("/graphql")
