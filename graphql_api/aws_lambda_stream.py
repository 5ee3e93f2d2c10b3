"""AWS Lambda: `handler` publishes a DynamoDB stream event's records on LIVE_BUS (graphql_api.live.consumer).

The stream consumer function of infra_terraform/live_bus.tf, in the same deployment zip as the service
(`graphql-api package lambda`), with its own handler: it builds no app, only a Redis client, once per
execution environment. A failure raises, so that Lambda retries the batch (bisecting it) and finally
sends it to the dead-letter queue.

With LIVE_SINGLE_TABLE (Terraform: single_table_enabled and the live bus) it follows the single-table migration
too (graphql_api.live.consumer.ConsumerMigration): the phase is read (one GetItem) when a batch of the single
table's records comes and the last read is older than MIGRATION_POLL_SECONDS, on a DynamoDB client kept for the
execution environment.
"""

from __future__ import annotations

import asyncio
import logging
import time
from contextlib import AsyncExitStack
from typing import Any

from graphql_api.live.bus import Publisher
from graphql_api.live.consumer import ConsumerMigration, publish_event
from graphql_api.logs import configure_logging
from graphql_api.settings import Settings, load_settings

logger = logging.getLogger(__name__)


PUBLISHING_PHASES = frozenset({"reads", "cutover", "finalized"})
"""Where the single table's records are published: before reads the old tables' streams carry every change (the
single table's records are dual-write's twins, the backfill's copies)."""


class PhaseReader:
    """The migration's phase for the consumer, read again once older than `poll_seconds`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.stack = AsyncExitStack()
        self.dynamo: Any = None
        self.phase = ""
        self.read_at = -float("inf")

    async def publishing(self) -> bool:
        from graphql_api.dynamo.client import open_dynamo
        from graphql_api.migration.phase import current_phase

        if time.monotonic() - self.read_at > self.settings.migration_poll_seconds:
            if self.dynamo is None:
                self.dynamo = await self.stack.enter_async_context(open_dynamo(self.settings))
            self.phase = (await current_phase(self.dynamo)).name
            self.read_at = time.monotonic()
        return self.phase in PUBLISHING_PHASES


def consumer_migration(settings: Settings, phases: PhaseReader) -> ConsumerMigration:
    from graphql_api.graphql.registry import DATA_ENTITIES
    from graphql_api.migration.layout import Layout

    layout = Layout(DATA_ENTITIES, settings.single_table_name)
    physical = layout.table.physical_name(settings.table_prefix)
    return ConsumerMigration(physical, layout.from_single, settings.table_prefix, phases.publishing)


class StreamConsumer:
    def __init__(self, bus_url: str, settings: Settings | None = None) -> None:
        self.loop = asyncio.new_event_loop()
        self.publisher = Publisher(bus_url)
        self.phases: PhaseReader | None = None
        self.migration: ConsumerMigration | None = None
        if settings is not None and settings.live_single_table:
            self.phases = PhaseReader(settings)
            self.migration = consumer_migration(settings, self.phases)

    def __call__(self, event: dict[str, Any]) -> dict[str, int]:
        published = self.loop.run_until_complete(publish_event(self.publisher, event, self.migration))
        return {"published": published}

    def close(self) -> None:
        self.loop.run_until_complete(self.publisher.close())
        if self.phases is not None:
            self.loop.run_until_complete(self.phases.stack.aclose())
        self.loop.close()


_consumer: StreamConsumer | None = None


def handler(event: dict[str, Any], context: Any) -> dict[str, int]:
    """The stream consumer's handler: one batch of one shard's records in, published on LIVE_BUS."""
    global _consumer
    if _consumer is None:
        settings = load_settings()
        configure_logging(settings.effective_log_format, settings.log_level)
        if not settings.live_bus:
            raise RuntimeError("the stream consumer needs LIVE_BUS (a redis:// or rediss:// URL)")
        _consumer = StreamConsumer(settings.live_bus, settings)
    return _consumer(event)
