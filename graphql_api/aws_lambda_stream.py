"""AWS Lambda: `handler` publishes a DynamoDB stream event's records on LIVE_BUS (graphql_api.live.consumer).

The stream consumer function of infra_terraform/live_bus.tf, in the same deployment zip as the service
(`graphql-api package lambda`), with its own handler: it builds no app, only a Redis client, once per
execution environment. A failure raises, so that Lambda retries the batch (bisecting it) and finally
sends it to the dead-letter queue.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from graphql_api.live.bus import Publisher
from graphql_api.live.consumer import publish_event
from graphql_api.logs import configure_logging
from graphql_api.settings import load_settings

logger = logging.getLogger(__name__)


class StreamConsumer:
    def __init__(self, bus_url: str) -> None:
        self.loop = asyncio.new_event_loop()
        self.publisher = Publisher(bus_url)

    def __call__(self, event: dict[str, Any]) -> dict[str, int]:
        published = self.loop.run_until_complete(publish_event(self.publisher, event))
        return {"published": published}

    def close(self) -> None:
        self.loop.run_until_complete(self.publisher.close())
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
        _consumer = StreamConsumer(settings.live_bus)
    return _consumer(event)
