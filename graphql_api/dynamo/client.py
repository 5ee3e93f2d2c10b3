"""The one DynamoDB client of the process, async on either of two transports.

`aiobotocore` (the default) speaks HTTP on the event loop; `boto3` runs the synchronous client in
a bounded thread pool. Both share one botocore configuration: explicit timeouts, the `standard`
retry mode, and a connection pool large enough that the loads of one wave are not serialized.
Errors that a client may see are mapped here to THROTTLED and UNAVAILABLE; every other
botocore error is left to the caller (repositories) or becomes INTERNAL_SERVER_ERROR. Responses of
the data-plane operations are parsed by graphql_api.dynamo.fast_parser (DYNAMODB_FAST_PARSER).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from typing import Any

import boto3
import botocore.session
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from botocore.config import Config
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from graphql_api.dynamo.fast_parser import use_fast_parser
from graphql_api.errors import Throttled, Unavailable
from graphql_api.metrics import DYNAMODB_CALLS, DYNAMODB_CAPACITY, DYNAMODB_THROTTLES
from graphql_api.request_scope import count_dynamodb_request, scope_if_any
from graphql_api.settings import Settings

THROTTLING_CODES = frozenset(
    {
        "ProvisionedThroughputExceededException",
        "ThrottlingException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)

_REPORTS_CAPACITY = frozenset(
    {
        "get_item",
        "batch_get_item",
        "query",
        "scan",
        "put_item",
        "update_item",
        "delete_item",
        "batch_write_item",
        "transact_write_items",
    }
)

Call = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


class Dynamo:
    """DynamoDB operations by their botocore method name: `await dynamo.call("query", ...)`."""

    def __init__(self, call: Call, table_prefix: str) -> None:
        self._call = call
        self.table_prefix = table_prefix

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        if operation in _REPORTS_CAPACITY:
            params.setdefault("ReturnConsumedCapacity", "TOTAL")
        tables = self._tables_of(params)
        for table in tables:
            DYNAMODB_CALLS.labels(table, operation).inc()
        try:
            response = await self._call(operation, params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") in THROTTLING_CODES:
                DYNAMODB_THROTTLES.labels(operation).inc()
                raise Throttled("DynamoDB is throttling requests; retry later") from error
            # DynamoDB's own failures (InternalServerError, ServiceUnavailable), still there after retries.
            if error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) >= 500:
                raise Unavailable("The database is unavailable; retry later") from error
            raise
        except (ConnectionError, HTTPClientError) as error:
            raise Unavailable("The database is unavailable; retry later") from error
        self._record_capacity(response.get("ConsumedCapacity"))
        return response

    def _logical_name(self, physical_name: str) -> str:
        return physical_name.removeprefix(self.table_prefix)

    def _tables_of(self, params: dict[str, Any]) -> list[str]:
        if "TableName" in params:
            return [self._logical_name(params["TableName"])]
        if "RequestItems" in params:
            return sorted(self._logical_name(name) for name in params["RequestItems"])
        if "TransactItems" in params:
            names = {next(iter(action.values()))["TableName"] for action in params["TransactItems"]}
            return sorted(self._logical_name(name) for name in names)
        return []

    def _record_capacity(self, consumed: Any) -> None:
        if not consumed:
            return
        scope = scope_if_any()
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            units = float(entry.get("CapacityUnits", 0.0))
            DYNAMODB_CAPACITY.labels(self._logical_name(entry.get("TableName", "?"))).inc(units)
            if scope is not None:
                scope.add_capacity(units)


def client_kwargs(settings: Settings) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.dynamodb_endpoint_url:
        kwargs["endpoint_url"] = settings.dynamodb_endpoint_url
        # Local servers accept any credentials; real AWS uses the standard credential chain.
        kwargs["aws_access_key_id"] = "local"
        kwargs["aws_secret_access_key"] = "local"
    return kwargs


def config_kwargs(settings: Settings) -> dict[str, Any]:
    return {
        "connect_timeout": settings.dynamodb_connect_timeout,
        "read_timeout": settings.dynamodb_read_timeout,
        # botocore's `max_attempts` counts retries (N means N + 1 attempts); `total_max_attempts`
        # counts attempts, which is what DYNAMODB_MAX_ATTEMPTS documents.
        "retries": {"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts},
        "max_pool_connections": settings.dynamodb_max_pool_connections,
        # The repositories build every parameter and DynamoDB validates them anyway: botocore's
        # second check against the model cost 0.5 to 1.7 ms per canonical query (bench.profile).
        "parameter_validation": False,
    }


@asynccontextmanager
async def open_dynamo(settings: Settings) -> AsyncIterator[Dynamo]:
    """The process's DynamoDB client, opened once at start-up and closed at shutdown."""
    if settings.dynamodb_client == "boto3":
        async with _boto3_dynamo(settings) as dynamo:
            yield dynamo
    elif settings.dynamodb_client == "aiobotocore":
        async with _aiobotocore_dynamo(settings) as dynamo:
            yield dynamo
    else:
        raise ValueError(f"DYNAMODB_CLIENT must be aiobotocore or boto3, not {settings.dynamodb_client!r}")


@asynccontextmanager
async def _aiobotocore_dynamo(settings: Settings) -> AsyncIterator[Dynamo]:
    async with AsyncExitStack() as stack:
        session = get_session()
        if settings.dynamodb_fast_parser:
            use_fast_parser(session)
        client = await stack.enter_async_context(
            session.create_client("dynamodb", config=AioConfig(**config_kwargs(settings)), **client_kwargs(settings))
        )
        client.meta.events.register("before-send.dynamodb", count_dynamodb_request)

        async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(client, operation)(**params)
            return result

        yield Dynamo(call, settings.table_prefix)


@asynccontextmanager
async def _boto3_dynamo(settings: Settings) -> AsyncIterator[Dynamo]:
    session = botocore.session.get_session()
    if settings.dynamodb_fast_parser:
        use_fast_parser(session)
    client = boto3.session.Session(botocore_session=session).client(
        "dynamodb", config=Config(**config_kwargs(settings)), **client_kwargs(settings)
    )
    client.meta.events.register("before-send.dynamodb", count_dynamodb_request)
    # One thread per pooled connection: more threads would only queue on the pool.
    pool = ThreadPoolExecutor(settings.dynamodb_max_pool_connections, thread_name_prefix="dynamodb")
    loop = asyncio.get_running_loop()

    async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        # Copy the context so the call is counted in the scope of the request that made it.
        run = functools.partial(contextvars.copy_context().run, getattr(client, operation), **params)
        return await loop.run_in_executor(pool, run)

    try:
        yield Dynamo(call, settings.table_prefix)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
        client.close()
