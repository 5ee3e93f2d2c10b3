"""Live updates for one process: its own DynamoDB and Streams clients, one stream reader per table, the hub.

Readers run in the background with clients of their own (their reads are not any request's cost).
Each reader's records go to its table's feed (graphql_api.live.hub), which decodes and fans them out.
With LIVE_BUS set, a table's records come from the bus instead (graphql_api.live.bus, fed by the relays):
the process reads no stream at all. Without it, the audited tables' readers start with the process (AUDIT_TRAIL)
and also write each record's audit entry (graphql_api.live.audit). During the single-table migration the single
table's stream is read too, each record handed on as its old table's (graphql_api.live.single_table_feed), and a
change both streams carry is delivered once (graphql_api.live.dedupe).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import TYPE_CHECKING, Any

from graphql_api.dynamo.client import Dynamo, client_kwargs, config_kwargs
from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.live.audit import AuditTrail, audited_entities
from graphql_api.live.dedupe import SeenChanges
from graphql_api.live.hub import Hub, TableFeed
from graphql_api.live.single_table_feed import FromSingle, SingleTableFeed
from graphql_api.live.streams import Deliver, Record, StreamReader
from graphql_api.settings import Settings
from graphql_api.tables import Table

if TYPE_CHECKING:
    from aiobotocore.session import AioSession

logger = logging.getLogger(__name__)


def get_session() -> AioSession:
    """aiobotocore's session for the stream readers' clients, imported on first use: a Lambda never follows streams."""
    from aiobotocore.session import get_session as new_session

    return new_session()


class LiveUpdates:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.hub = Hub(self._start_reader, settings.subscription_queue_size)
        self.readers: dict[str, StreamReader] = {}
        self._stack = AsyncExitStack()
        self._clients: tuple[Any, Any] | None = None
        self._opening = asyncio.Lock()
        self._audit: AuditTrail | None = None
        self._seen: dict[str, SeenChanges] = {}
        """Per table, what was delivered while both streams are read: a change both carry goes out once."""
        self.single_table: SingleTableFeed | None = None
        self.auditing = settings.audit_trail and not settings.live_bus
        if self.auditing:  # made in the app's lifespan, on its loop: the audited tables are read from the start
            for entity in audited_entities():
                feed = self.hub.feed(entity)
                feed.reader = self._start_reader(feed)

    async def audit_trail(self) -> AuditTrail:
        """The audit entries' writer, on the readers' own DynamoDB client (the stream readers' role writes them)."""
        if self._audit is None:
            dynamodb, _ = await self._open_clients()

            async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
                result: dict[str, Any] = await getattr(dynamodb, operation)(**params)
                return result

            self._audit = AuditTrail(Dynamo(call, self.settings.table_prefix), self.settings.audit_retention_days)
        return self._audit

    async def _open_clients(self) -> tuple[Any, Any]:
        async with self._opening:
            if self._clients is None:
                from aiobotocore.config import AioConfig

                session = get_session()
                config = AioConfig(**config_kwargs(self.settings))
                kwargs = client_kwargs(self.settings)
                dynamodb = await self._stack.enter_async_context(
                    session.create_client("dynamodb", config=config, **kwargs)
                )
                streams = await self._stack.enter_async_context(
                    session.create_client("dynamodbstreams", config=config, **kwargs)
                )
                self._clients = (dynamodb, streams)
            return self._clients

    def _start_reader(self, feed: TableFeed[Any]) -> asyncio.Task[None]:
        if self.settings.live_bus:
            return asyncio.get_running_loop().create_task(self._follow_bus(self.settings.live_bus, feed))
        return asyncio.get_running_loop().create_task(self._read(feed))

    async def _follow_bus(self, url: str, feed: TableFeed[Any]) -> None:
        def lost(reason: str) -> None:
            for subscriber in list(feed.subscribers):
                subscriber.close(Unavailable(reason))

        physical = feed.entity.table.physical_name(self.settings.table_prefix)
        from graphql_api.live import bus  # redis only with LIVE_BUS: its import is a noticeable part of a cold start

        await bus.follow(url, bus.channel(physical), feed.publish, lost, feed.ready)

    async def _read(self, feed: TableFeed[Any]) -> None:
        table = feed.entity.table

        async def deliver(record: Record) -> None:
            await self._deliver(feed, record)

        async def gap(shard: str) -> None:
            feed.lost_changes(shard)

        positioned = asyncio.Event()

        async def confirm() -> None:
            # Confirmed once every stream that may carry the table's changes is positioned (the single table's too).
            await positioned.wait()
            if self.single_table is not None:
                await self.single_table.caught_up()
            feed.ready.set()

        confirming = asyncio.get_running_loop().create_task(confirm())
        try:
            await self._follow_stream(table, deliver, gap, positioned)
        finally:
            confirming.cancel()

    async def _deliver(self, feed: TableFeed[Any], record: Record) -> None:
        """A record of the table's stream, or the single table's translated: once, to subscribers and the audit."""
        if self.single_table is not None and self.single_table.overlapping:
            # Two streams may carry the change: the first one's copy goes out (graphql_api.live.dedupe).
            if not self._seen.setdefault(feed.entity.table.name, SeenChanges()).first(record):
                return
        elif self._seen:
            self._seen.clear()  # one stream again: nothing to remember
        feed.publish(record)
        if self.auditing:
            await (await self.audit_trail()).write(feed.entity.table.name, record)

    async def _follow_stream(
        self, table: Table, deliver: Deliver, gap: Callable[[str], Awaitable[None]], ready: asyncio.Event
    ) -> None:
        while True:
            try:
                dynamodb, streams = await self._open_clients()
                described = await dynamodb.describe_table(TableName=table.physical_name(self.settings.table_prefix))
                stream_arn = described["Table"]["LatestStreamArn"]
                break
            except Exception as error:
                logger.warning("live updates: the %s stream cannot be found yet: %s", table.name, error)
                await asyncio.sleep(1.0)

        async def call(operation: str, **params: Any) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(streams, operation)(**params)
            return result

        reader = StreamReader(
            call, stream_arn, deliver, on_gap=gap, ready=ready, max_idle=self.settings.stream_max_idle
        )
        self.readers[table.name] = reader
        await reader.run()

    def follow_single_table(
        self, table: Table, from_single: FromSingle, wanted: Callable[[], bool], single_writes: Callable[[], bool]
    ) -> None:
        """From the migration's reads phase on, also read the single table's stream, each record as its old table's
        (graphql_api.live.single_table_feed); `wanted` and `single_writes` say where this instance's phase is."""
        if self.settings.live_bus:
            return  # the instances read no stream: the relays do (docs/live-updates.md#migrating-to-single-table)

        async def read(deliver: Deliver, gap: Callable[[str], Awaitable[None]], ready: asyncio.Event) -> None:
            await self._follow_stream(table, deliver, gap, ready)

        async def dispatch(entity: Entity[Any], record: Record) -> None:
            feed = self.hub.existing(entity.table.name)
            if feed is not None:  # nobody follows the table's changes in this process otherwise
                await self._deliver(feed, record)

        self.single_table = SingleTableFeed(
            read, from_single, dispatch, self.hub.close_all, wanted, single_writes, needed=self.hub.following
        )
        self.single_table.start()

    async def close(self) -> None:
        if self.single_table is not None:
            await self.single_table.close()
        await self.hub.close()
        await self._stack.aclose()
