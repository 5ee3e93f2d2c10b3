"""The DynamoDB a data command works on: the configured one, else the local default's running in this directory."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.local.embedded import QUEUE_READ_TIMEOUT
from graphql_api.local.user_pool import LOCAL_STATE_FILE, read_local_state
from graphql_api.settings import Settings


class NoDynamoDB(Exception):
    """A data command with nothing to talk to: no endpoint, no AWS credentials, no local default running here."""


def with_dynamo(settings: Settings, work: Callable[[Dynamo], Awaitable[Any]]) -> Any:
    """Run `work` with the configured DynamoDB; with none configured, the local default's running in this directory
    (its embedded server, named by its state file), so that `validate`, `export` and the others work on it."""
    if settings.embedded:
        local = read_local_state()
        if local is None:
            raise NoDynamoDB(
                "no DynamoDB to work on: set DYNAMODB_ENDPOINT_URL (or AWS credentials and AWS_REGION), or run "
                f"`graphql-api serve` (the local default) in this directory, which writes {LOCAL_STATE_FILE}"
            )
        settings = settings.replace(
            dynamodb_endpoint_url=local.endpoint_url,
            dynamodb_read_timeout=max(settings.dynamodb_read_timeout, QUEUE_READ_TIMEOUT),  # it queues: see there
        )

    async def run() -> Any:
        async with open_dynamo(settings) as dynamo:
            return await work(dynamo)

    return asyncio.run(run())
