"""Processes of the live-updates bus tests: a real redis-server, `serve` instances on LIVE_BUS, relays.

redis-server is Debian's, installed by scripts/redis-setup.sh (as scripts/e2e-setup.sh installs Chromium);
if it cannot be installed, the fixture fails saying so: nothing is skipped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

import pytest

from graphql_api.local.embedded import free_port
from graphql_api.settings import Settings
from tests.backends import ROOT, machine_lock, wait_for_port

LOGS = ROOT / "test-artifacts"


def install_redis() -> str:
    """The path of redis-server, installing Debian's package first if needed."""
    with machine_lock("redis-setup"):
        done = subprocess.run(
            ["bash", str(ROOT / "scripts" / "redis-setup.sh")], capture_output=True, text=True, stdin=subprocess.DEVNULL
        )
    if done.returncode != 0:
        pytest.fail(f"redis-server could not be installed (scripts/redis-setup.sh):\n{done.stdout}{done.stderr}")
    for folder in ("/usr/bin", "/usr/local/bin", "/usr/sbin"):
        if os.access(f"{folder}/redis-server", os.X_OK):
            return f"{folder}/redis-server"
    pytest.fail("scripts/redis-setup.sh succeeded but no redis-server is on the machine")


class RedisServer:
    """A redis-server on a port of its own, with no persistence; `stop()` and `start()` for an outage."""

    def __init__(self) -> None:
        self.binary = install_redis()
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    def start(self) -> None:
        LOGS.mkdir(exist_ok=True)
        self._log = open(LOGS / "redis.log", "ab")  # noqa: SIM115 (closed in stop)
        command = [self.binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]
        self.process = subprocess.Popen(command, stdout=self._log, stderr=subprocess.STDOUT)
        wait_for_port("127.0.0.1", self.port, self.process)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)
            self.process = None
        if self._log is not None:
            self._log.close()
            self._log = None


def bus_env(settings: Settings, bus_url: str, endpoint: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": endpoint,
        "TABLE_PREFIX": settings.table_prefix,
        "CURSOR_SECRET": ",".join(settings.cursor_secrets),
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
        "DYNAMODB_READ_TIMEOUT": str(settings.dynamodb_read_timeout),
        "LIVE_BUS": bus_url,
        "LOG_LEVEL": "INFO",
        **extra,
    }


class Process:
    """A child process whose end the test chooses: `terminate()`, or `kill()` (kill -9).

    Started with `wait=False`, it is left to start while others do (`ready()` waits for it): processes
    importing the service side by side start in about the time of one.
    """

    def __init__(self, command: list[str], env: dict[str, str], log_name: str, port: int, *, wait: bool = True) -> None:
        LOGS.mkdir(exist_ok=True)
        self._log = open(LOGS / log_name, "ab")  # noqa: SIM115 (closed in end)
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.port = port
        if wait:
            self.ready()

    def ready(self) -> None:
        """Wait until it listens on its port (generous: a shared machine starts processes slowly)."""
        wait_for_port("127.0.0.1", self.port, self.process, timeout=120)

    @property
    def pid(self) -> int:
        return self.process.pid

    def kill(self) -> None:
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=30)

    def stop(self) -> None:
        """Ask it to end (SIGTERM) without waiting: `end()` waits."""
        if self.process.poll() is None:
            self.process.terminate()

    def end(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=15)
        self._log.close()


def instance(env: dict[str, str], *, wait: bool = True) -> tuple[Process, str]:
    """A `serve`-like instance (uvicorn, the app from the environment); its /graphql URL."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "graphql_api.app:app_from_env", "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    return Process(command, env, "live-bus-instance.log", port, wait=wait), f"http://127.0.0.1:{port}/graphql"


def relay(env: dict[str, str], *, wait: bool = True) -> Process:
    """`graphql-api relay`, listening on a metrics port (which says it has started)."""
    port = free_port()
    command = [sys.executable, "-m", "graphql_api.cli", "relay", "--metrics-port", str(port)]
    return Process(command, env, "live-bus-relay.log", port, wait=wait)


@contextmanager
def processes() -> Iterator[list[Process]]:
    """A list to put processes in; each is ended when the block ends, whatever happened."""
    started: list[Process] = []
    try:
        yield started
    finally:
        for process in started:  # all asked at once, then each waited for: they stop side by side
            process.stop()
        for process in reversed(started):
            process.end()


def until(condition: object, within: float, message: str) -> None:
    """Wait until `condition()` is true (polled), or fail with `message`."""
    deadline = time.monotonic() + within
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise AssertionError(message)
        time.sleep(0.1)
