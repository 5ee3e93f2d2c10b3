"""Progress of the long-running commands (validate, export, seed, backfill): a bar on a terminal, lines elsewhere.

On a terminal, tqdm draws one bar per task on stderr. Anywhere else (CI, a pipe, a log collector)
a bar's carriage returns would be noise, so each task writes one log line when it starts and one
when it ends, with its count and rate (logger `graphql_api.progress`: JSON or text as LOG_FORMAT says).
Either way stdout is left to the command's result.
"""

from __future__ import annotations

import logging
import sys
import time
from typing import Protocol, TextIO

from tqdm import tqdm

logger = logging.getLogger("graphql_api.progress")


class Task(Protocol):
    def advance(self, count: int) -> None: ...

    def close(self) -> None: ...


class Progress(Protocol):
    shows_totals: bool
    """Whether a task's total is shown (worth a request to estimate it)."""

    def task(self, name: str, total: int | None) -> Task:
        """A unit of work counted in items; `total` is a guess or None when unknown."""
        ...


class _Quiet:
    shows_totals = False

    def task(self, name: str, total: int | None) -> Task:
        return self

    def advance(self, count: int) -> None:
        pass

    def close(self) -> None:
        pass


quiet: Progress = _Quiet()
"""No output: for library use and tests."""


class _BarTask:
    def __init__(self, name: str, total: int | None, stream: TextIO) -> None:
        self._bar = tqdm(desc=name, total=total or None, unit=" items", file=stream, leave=True, dynamic_ncols=True)

    def advance(self, count: int) -> None:
        self._bar.update(count)

    def close(self) -> None:
        self._bar.close()


class _LineTask:
    def __init__(self, command: str, name: str, total: int | None) -> None:
        self._command, self._name = command, name
        self._count = 0
        self._started = time.perf_counter()
        self._closed = False
        about = f" (about {total} items)" if total else ""
        logger.info(f"{command}: {name}: started{about}", extra={"command": command, "table": name})

    def advance(self, count: int) -> None:
        self._count += count

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        elapsed = time.perf_counter() - self._started
        rate = self._count / elapsed if elapsed > 0 else 0.0
        logger.info(
            f"{self._command}: {self._name}: {self._count} items in {elapsed:.1f} s, {rate:,.0f}/s",
            extra={"command": self._command, "table": self._name, "items": self._count, "seconds": round(elapsed, 3)},
        )


class _Reporter:
    shows_totals = True

    def __init__(self, command: str, stream: TextIO) -> None:
        self._command, self._stream = command, stream
        self._terminal = stream.isatty()

    def task(self, name: str, total: int | None) -> Task:
        if self._terminal:
            return _BarTask(name, total, self._stream)
        return _LineTask(self._command, name, total)


def progress_for(command: str, stream: TextIO | None = None) -> Progress:
    """The progress display for `command`: bars when `stream` (default stderr) is a terminal, else log lines."""
    return _Reporter(command, stream if stream is not None else sys.stderr)
