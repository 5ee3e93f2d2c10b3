"""The audit trail's consumer: each stream record of an audited table written as its `AuditLog` entry.

Where it runs: where the streams are already read, so that no reader is added (DynamoDB Streams serves about
two per shard) and nothing is done on a request's path (a write's answer never waits for its entry).

- LIVE_BUS unset: in every instance, by the stream readers of graphql_api.live.service, which start with the
  app for the audited tables (AUDIT_TRAIL, on by default) instead of with their first subscription. Every
  instance writes every entry: the entry's key comes from the record alone (graphql_api.repositories.audit),
  so the second write rewrites the same item. The readers start at the stream's end (LATEST) like the live
  updates': a change made while no instance runs is not recorded.
- LIVE_BUS set: the instances read no stream and write nothing; the relay (`graphql-api relay`) writes each
  batch's entries after publishing it and before checkpointing it, so a relay that dies in between has the next
  one replay the batch, which rewrites the same entries. The Lambda stream consumer (aws_lambda_stream) does not
  write them, and the service's own Lambda function reads no stream (graphql_api.aws_lambda turns AUDIT_TRAIL
  off): on Lambda only a relay writes the trail (docs/observability.md#audit-trail).

An entry that cannot be written (DynamoDB out of reach, throttled) is retried with backoff until it is: the
reader, and the live updates behind it, wait rather than skip an entry.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity
from graphql_api.live.streams import Record

logger = logging.getLogger(__name__)

Recorder = Callable[[Dynamo, Entity[Any], Record, int], Awaitable[str]]
"""Writes one record's entry (`graphql_api.repositories.audit.record_change`): dynamo, entity, record, retention
in days; returns the entity id recorded."""

_audited: dict[str, Entity[Any]] = {}
_recorder: list[Recorder] = []


def register(entities: Sequence[Entity[Any]], recorder: Recorder) -> None:
    """The tables whose changes are recorded, and how (given from above: live does not import the repositories;
    the audit trail's GraphQL module registers them, as it is imported with the schema)."""
    _audited.update({entity.table.name: entity for entity in entities})
    _recorder[:] = [recorder]


def audited_entities() -> tuple[Entity[Any], ...]:
    return tuple(_audited.values())


class AuditTrail:
    """Writes the entries of audited tables' records, on a client of its own (not any request's)."""

    def __init__(self, dynamo: Dynamo, retention_days: int, *, max_backoff: float = 5.0) -> None:
        self.dynamo = dynamo
        self.retention_days = retention_days
        self.max_backoff = max_backoff
        self.written = 0

    async def write_all(self, table_name: str, records: Sequence[Record]) -> None:
        """Record a batch's changes, in order (the relay's, before it checkpoints them)."""
        for record in records:
            await self.write(table_name, record)

    async def write(self, table_name: str, record: Record) -> None:
        """Record one change (nothing for a table not audited); retried until written, never raised."""
        entity = _audited.get(table_name)
        if entity is None or not _recorder:
            return
        failures = 0
        while True:
            try:
                await _recorder[0](self.dynamo, entity, record, self.retention_days)
                self.written += 1
                return
            except (ClientError, BotoCoreError, OSError) as error:
                failures += 1
                delay = min(self.max_backoff, 0.05 * 2**failures) * random.uniform(0.5, 1.0)  # noqa: S311 (jitter)
                if failures == 1 or failures % 10 == 0:
                    logger.warning("audit: a %s change not written yet: %s", table_name, error)
                await asyncio.sleep(delay)
