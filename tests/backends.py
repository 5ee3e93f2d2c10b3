"""Starting the real servers the tests run against: moto's server, DynamoDB Local, the service, the local default."""

from __future__ import annotations

import fcntl
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from graphql_api.local.embedded import free_port
from graphql_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
DYNAMODB_LOCAL_ENDPOINT_VARIABLE = "TEST_DYNAMODB_LOCAL_ENDPOINT"
"""A DynamoDB Local already running (a user's own, or the one pytest-xdist's controller shares with its workers)."""


@contextmanager
def machine_lock(name: str) -> Iterator[None]:
    """Held by one process of the machine at a time: pytest-xdist's workers setting up one shared thing."""
    folder = ROOT / "test-artifacts"
    folder.mkdir(exist_ok=True)
    with open(folder / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def wait_for_port(host: str, port: int, process: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited early with code {process.returncode}")
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"nothing listened on {host}:{port} within {timeout}s")


@contextmanager
def _running(
    command: list[str], port: int, log_name: str, env: dict[str, str] | None = None, path: str = ""
) -> Iterator[str]:
    """Run `command` until the block ends, once it listens on `port`; yields its URL (plus `path`)."""
    log_dir = ROOT / "test-artifacts"
    log_dir.mkdir(exist_ok=True)
    with open(log_dir / log_name, "ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=env)
        try:
            wait_for_port("127.0.0.1", port, process)
            yield f"http://127.0.0.1:{port}{path}"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


@contextmanager
def moto_server() -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "graphql_api.local", "--port", str(port)]
    with _running(command, port, "moto.log") as url:
        yield url


@contextmanager
def dynamodb_local() -> Iterator[str]:
    """Amazon's DynamoDB Local: the one at TEST_DYNAMODB_LOCAL_ENDPOINT if set, else our own."""
    existing = os.environ.get(DYNAMODB_LOCAL_ENDPOINT_VARIABLE)
    if existing:
        yield existing
        return
    script = ROOT / "scripts" / "dynamodb-local.sh"
    with machine_lock("dynamodb-local-fetch"):
        fetched = subprocess.run(["bash", str(script), "fetch"], check=True, capture_output=True, text=True)
    emulator = fetched.stdout.strip()
    port = free_port()
    command = [
        "java",
        f"-Djava.library.path={emulator}/DynamoDBLocal_lib",
        "-jar",
        f"{emulator}/DynamoDBLocal.jar",
        "-inMemory",
        "-port",
        str(port),
    ]
    with _running(command, port, "dynamodb-local.log") as url:
        yield url


@contextmanager
def service_process(settings: Settings, log_name: str = "service.log") -> Iterator[str]:
    """The service under uvicorn in its own process, on `settings`; yields its /graphql URL."""
    port = free_port()
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "DYNAMODB_CLIENT": settings.dynamodb_client,
        "CURSOR_SECRET": ",".join(settings.cursor_secrets),
        "AUTH_MODE": settings.auth_mode,
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_JWKS_URL": settings.auth_jwks_url or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
        "DYNAMODB_CONNECT_TIMEOUT": str(settings.dynamodb_connect_timeout),
        "DYNAMODB_READ_TIMEOUT": str(settings.dynamodb_read_timeout),
        "DYNAMODB_MAX_ATTEMPTS": str(settings.dynamodb_max_attempts),
        "LOG_LEVEL": "WARNING",
        "GRAPHQL_TRUSTED_DOCUMENTS": settings.graphql_trusted_documents or "",
        "GRAPHQL_TRUSTED_DOCUMENTS_ONLY": str(settings.graphql_trusted_documents_only).lower(),
        "AUDIT_TRAIL": str(settings.audit_trail).lower(),
        "AUTH_JWKS_TIMEOUT": str(settings.auth_jwks_timeout),
        # The tests' rate budgets (tests/support/api.py), as the process reads them.
        **{
            name.upper(): str(value).lower() if isinstance(value, bool) else str(value)
            for name, value in settings
            if name.startswith("rate_limit_") and isinstance(value, bool | int | float)
        },
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "--factory",
        "graphql_api.app:app_from_env",
        "--port",
        str(port),
        "--log-level",
        "warning",
        "--no-access-log",
    ]
    with _running(command, port, log_name, env=env, path="/graphql") as url:
        yield url


# The local default: `serve` with no endpoint and no AWS settings, in a directory of its own (its state file).
LOCAL_DEFAULT_UNSET = (
    "DYNAMODB_ENDPOINT_URL",
    "AWS_ACCESS_KEY_ID",
    "AWS_PROFILE",
    "AWS_WEB_IDENTITY_TOKEN_FILE",
    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
    "AUTH_MODE",
    "AUTH_ISSUER",
    "AUTH_JWKS_URL",
    "AUTH_AUDIENCE",
    "CURSOR_SECRET",
    "COGNITO_ENDPOINT_URL",
)


@dataclass
class LocalDefault:
    url: str
    directory: Path
    stdout: str

    @property
    def header(self) -> str:
        [line] = [line for line in self.stdout.splitlines() if line.startswith("Authorization: Bearer ")]
        return line

    def post(self, query: str, authorization: str | None) -> httpx.Response:
        headers = {"Authorization": authorization} if authorization else {}
        return httpx.post(f"{self.url}/graphql", json={"query": query}, headers=headers, timeout=30)


def local_default_env(**changes: str) -> dict[str, str]:
    env = {name: value for name, value in os.environ.items() if name not in LOCAL_DEFAULT_UNSET}
    return {**env, "PYTHONPATH": str(ROOT), **changes}


@contextmanager
def local_default_process(directory: Path) -> Iterator[LocalDefault]:
    """`graphql-api serve` as the local default (embedded DynamoDB and user pool), working in `directory`."""
    port = free_port()
    with open(directory / "stdout.txt", "w") as stdout, open(directory / "stderr.txt", "w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "graphql_api.cli", "serve", "--port", str(port)],
            cwd=directory,
            env=local_default_env(),
            stdout=stdout,
            stderr=stderr,
        )
        try:
            wait_for_port("127.0.0.1", port, process, timeout=120)  # it prints everything before it listens
            yield LocalDefault(f"http://127.0.0.1:{port}", directory, (directory / "stdout.txt").read_text())
        finally:
            process.terminate()
            process.wait(timeout=30)
