"""`graphql-api relay`: the live-updates relay (LIVE_BUS): reads the tables' streams under shard leases and
publishes their records on the bus, for every instance's subscribers (graphql_api.live.relay). Run two or more
for availability: a lease per shard lets one read it, another takes over within LIVE_LEASE_SECONDS of its death.
It follows the single-table migration's phase as the instances do (every MIGRATION_POLL_SECONDS): from `reads`
through cutover it reads the single table's stream too, each record published as its old table's."""

from __future__ import annotations

import asyncio
import logging
import signal
from typing import TYPE_CHECKING, Any

from graphql_api.cli.command import Command, argument, fail

if TYPE_CHECKING:
    import argparse

    from graphql_api.migration.watch import MigrationWatch
    from graphql_api.settings import Settings

logger = logging.getLogger(__name__)


def relay(settings: Settings, args: argparse.Namespace) -> int:
    if not settings.live_bus:
        fail("relay: set LIVE_BUS (a redis:// URL): the relay publishes the streams' records there")
        return 2
    if settings.embedded:
        fail("relay: needs DYNAMODB_ENDPOINT_URL or AWS: the local default reads its streams in process")
        return 2
    if args.metrics_port:
        from prometheus_client import start_http_server

        from graphql_api.metrics import REGISTRY

        # dynamodb_stream_lag_seconds per table (the service's registry, where the relay's metrics are)
        start_http_server(args.metrics_port, addr=args.metrics_host, registry=REGISTRY)
    asyncio.run(_run(settings))
    return 0


async def _run(settings: Settings) -> None:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from graphql_api.dynamo.client import client_kwargs, config_kwargs, open_dynamo
    from graphql_api.graphql.registry import ALL_TABLES, DATA_ENTITIES
    from graphql_api.live.audit import AuditTrail
    from graphql_api.live.bus import Publisher
    from graphql_api.live.relay import Relay, SingleTableSource
    from graphql_api.migration.layout import Layout
    from graphql_api.migration.watch import MigrationWatch

    session = get_session()
    publisher = Publisher(settings.live_bus or "")
    async with (
        open_dynamo(settings) as dynamo,
        session.create_client(
            "dynamodbstreams", config=AioConfig(**config_kwargs(settings)), **client_kwargs(settings)
        ) as streams,
    ):

        async def call(operation: str, **params: Any) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(streams, operation)(**params)
            return result

        migration = MigrationWatch(dynamo, settings.migration_poll_seconds)
        watching = asyncio.ensure_future(_watch(migration))
        layout = Layout(DATA_ENTITIES, settings.single_table_name)
        single_table = SingleTableSource(
            layout.table,
            layout.from_single,
            overlap=lambda: _overlap(migration),
            writing=lambda: migration.state.dual_write or migration.state.single_write,
        )
        running = Relay(
            dynamo,
            call,
            publisher,
            ALL_TABLES,
            lease_seconds=settings.live_lease_seconds,
            max_idle=settings.stream_max_idle,
            audit=AuditTrail(dynamo, settings.audit_retention_days) if settings.audit_trail else None,
            single_table=single_table,
        )
        task = asyncio.ensure_future(running.run())
        loop = asyncio.get_running_loop()
        for stop in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(stop, task.cancel)  # a clean stop releases the leases at once
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            watching.cancel()
            await migration.close()
            await publisher.close()


def _overlap(migration: MigrationWatch) -> int | None:
    """The overlap of both streams the phase is in: the phase item's version when `reads` began (cutover comes
    straight after it, one version later), None outside reads and cutover. A rollback's `reads` is a new one."""
    state = migration.state
    if not state.single_stream:
        return None
    return state.version - 1 if state.single_write else state.version


async def _watch(migration: MigrationWatch) -> None:
    """Follow the migration's phase; while it cannot be read (no table, no grant) the relay follows the old tables'
    streams only, as before the migration, and says so."""
    while True:
        try:
            await migration.start()
            return
        except Exception as error:  # AccessDenied, a missing table, DynamoDB down: try again next poll
            logger.warning("relay: cannot read the migration's phase (%s): not following the single table", error)
            await asyncio.sleep(migration.poll_seconds)


RELAY = Command(
    "relay",
    "read the streams under shard leases and publish their records on LIVE_BUS (live updates at any scale)",
    relay,
    arguments=(
        argument("--metrics-port", type=int, default=0, help="serve Prometheus metrics on this port (0: none)"),
        argument("--metrics-host", default="127.0.0.1", help="the metrics port's address (default: loopback)"),
    ),
    description=__doc__,
)
