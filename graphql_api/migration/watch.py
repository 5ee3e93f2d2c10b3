"""Each instance's view of the migration (SPEC section 14): the phase and the read percentages, read at start and
then every MIGRATION_POLL_SECONDS, so that every instance follows a change within seconds without a restart.

One BatchGetItem of the `Migration` table's items per poll per instance, never one per request: the request path reads
`watch.state` (a `MigrationSnapshot`). An instance that could not poll for a while (a Lambda execution
environment frozen between invocations) refreshes before it writes: `await watch.fresh()` reads again when the
snapshot is older than two polls (at most one read per poll interval, not per request).

A poll that fails (DynamoDB unavailable) keeps the last snapshot and logs it; the next poll tries again.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import unobserved
from graphql_api.migration.phase import PHASES, read_state

logger = logging.getLogger(__name__)

DUAL_WRITE_PHASES = frozenset({"dual-write", "backfill", "verify", "reads"})
"""The old tables decide every write and the single table gets a twin of each, in the same transaction."""
SINGLE_WRITE_PHASES = frozenset({"cutover"})
"""Writes go to the single table only, which decides them (its twins carry the old writes' conditions)."""
SINGLE_STREAM_PHASES = frozenset({"reads", "cutover"})
"""The live updates read the single table's stream beside the old tables' (graphql_api.live.single_table_feed): the
phase before cutover and cutover itself, so that an instance reads it before any instance writes it alone."""


@dataclass(frozen=True)
class MigrationSnapshot:
    """The migration as one instance last read it."""

    phase: str = PHASES[0]
    version: int = 0
    """The phase item's Version: every change of phase increments it."""
    reads: Mapping[str, int] = field(default_factory=dict)
    """Pattern (`AP3`, or `*` for every pattern) -> percentage of its reads served by the single table, from the
    items `reads#<pattern>` of the Migration table; a pattern not listed reads the old tables."""
    read_at: float = 0.0
    """time.monotonic() of the read (0: never read)."""

    @property
    def dual_write(self) -> bool:
        return self.phase in DUAL_WRITE_PHASES

    @property
    def single_write(self) -> bool:
        return self.phase in SINGLE_WRITE_PHASES

    @property
    def single_stream(self) -> bool:
        return self.phase in SINGLE_STREAM_PHASES

    def read_percent(self, pattern: str) -> int:
        """The share of `pattern`'s reads for the single table: its own item, else `*`'s, else 0."""
        return self.reads.get(pattern, self.reads.get("*", 0))


class MigrationWatch:
    """The snapshot of one instance, kept current by a polling task (`start` ... `close`, in the app's lifespan)."""

    def __init__(self, dynamo: Dynamo, poll_seconds: float) -> None:
        self._dynamo = dynamo
        self.poll_seconds = poll_seconds
        self.state = MigrationSnapshot()
        self._task: asyncio.Task[None] | None = None
        self._reading: asyncio.Lock = asyncio.Lock()

    async def refresh(self) -> MigrationSnapshot:
        """Read the phase and the read percentages now (one BatchGetItem); the new snapshot."""
        async with self._reading:
            with unobserved():  # from a request (a stale snapshot): the instance's read, not the request's
                phase, reads = await read_state(self._dynamo)
            before = self.state.phase
            self.state = MigrationSnapshot(phase.name, phase.version, reads, time.monotonic())
        if phase.name != before:
            logger.info("migration phase: %s (was %s)", phase.name, before)
        return self.state

    async def fresh(self) -> MigrationSnapshot:
        """The snapshot, read again first if polling has fallen behind (a frozen Lambda environment)."""
        if time.monotonic() - self.state.read_at > 2 * self.poll_seconds:
            return await self.refresh()
        return self.state

    async def start(self) -> None:
        """The first read (an instance starts in the right phase), then polling in the background.

        With DynamoDB out of reach the instance still starts (its /readyz says why it is not ready): the snapshot
        stays unread (`read_at` 0), so every write reads the phase first (`fresh`) and fails while DynamoDB does,
        and polling reads it as soon as DynamoDB answers."""
        try:
            await self.refresh()
        except Exception:
            logger.warning("could not read the migration's phase at start; polling for it", exc_info=True)
        self._task = asyncio.create_task(self._poll(), name="migration-watch")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(self.poll_seconds if self.state.read_at else min(1.0, self.poll_seconds))
            try:
                await self.refresh()
            except Exception:  # keep the last snapshot: a poll fails while DynamoDB does, the next one tries again
                logger.warning("could not read the migration's phase; keeping %s", self.state.phase, exc_info=True)
