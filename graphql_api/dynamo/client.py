"""The one DynamoDB client of the process, async on either of two transports.

`aiohttp` (the default) signs and sends the data-plane operations itself (graphql_api.dynamo.data_plane:
botocore's per-call machinery was the larger part of what the service spent beyond a hand-written
endpoint) and leaves every other operation to an aiobotocore client opened on first use; `aiobotocore`
speaks HTTP on the event loop for every operation; `boto3` runs the synchronous client in a bounded thread
pool. All share one configuration: explicit timeouts, the `standard` retry mode, and a connection pool
large enough that the loads of one wave are not serialized.
Errors that a client may see are mapped here to THROTTLED and UNAVAILABLE; every other
botocore error is left to the caller (repositories) or becomes INTERNAL_SERVER_ERROR. Responses of
the data-plane operations are parsed by graphql_api.dynamo.fast_parser (DYNAMODB_FAST_PARSER).

Credentials (`resolve_credentials`): always botocore's standard chain (environment, shared files and
profiles, web identity, container, instance metadata), with or without DYNAMODB_ENDPOINT_URL, so a VPC
or FIPS endpoint of real DynamoDB, or a team's own DynamoDB Local keys, work. Only when the chain finds
nothing and the endpoint is a local one (localhost, 127.0.0.1, ::1) does the client sign with the dummy
key `local` (DynamoDB Local and moto accept any key; DynamoDB Local keeps the tables of each key apart).
For a local endpoint the chain is asked without instance metadata, so a laptop does not wait on it.
A custom endpoint that is not local with no credentials stops the start with `NoCredentials`. The
start-up log says which (one line, "DynamoDB credentials: ..."). The keys the chain finds are not
copied into the client: it resolves them itself, so temporary credentials are still refreshed. Every
DynamoDB client of the service is built here: the app and the Lambda handler (open_dynamo through
create_app), the operator's tools (open_dynamo through the CLI) and the stream readers (client_kwargs).
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import aiohttp
from botocore.exceptions import ClientError, ConnectionError, HTTPClientError

from graphql_api import tracing
from graphql_api.dynamo.data_plane import OPERATIONS, DataPlane, FrozenKeys, KeySource, endpoint_for
from graphql_api.dynamo.observer import capacity_consumed, read_done, request_sent
from graphql_api.errors import Throttled, Unavailable
from graphql_api.metrics import DYNAMODB_CALLS, DYNAMODB_CAPACITY, DYNAMODB_THROTTLES
from graphql_api.settings import Settings

if TYPE_CHECKING:
    import botocore.session

logger = logging.getLogger(__name__)

LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
DUMMY_KEY = "local"
# botocore's names of where credentials came from (Credentials.method), as the start-up log says them.
_SOURCES = {
    "env": "environment",
    "shared-credentials-file": "shared credentials file",
    "config-file": "config file",
    "assume-role": "assumed role (profile)",
    "assume-role-with-web-identity": "web identity",
    "container-role": "container",
    "iam-role": "instance metadata",
    "sso": "SSO (profile)",
    "custom-process": "credential process",
}

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

_READS = frozenset({"get_item", "batch_get_item", "query", "scan"})

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
        tracer = tracing.tracer()
        if tracer is None:
            return await self._send(operation, params)
        with tracing.dynamodb_span(tracer, operation, tables, params) as span:
            try:
                response = await self._send(operation, params)
            except Exception as error:
                # A refusal (a failed condition, throttling after retries) still tells its retries and capacity.
                refusal = error if isinstance(error, ClientError) else error.__cause__
                if isinstance(refusal, ClientError):
                    tracing.note_dynamodb_response(span, refusal.response)
                raise
            tracing.note_dynamodb_response(span, response)
            return response

    async def _send(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
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
        units = self._record_capacity(response.get("ConsumedCapacity"))
        if operation in _READS:
            read_done(units, items_examined(operation, response))
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

    def _record_capacity(self, consumed: Any) -> float:
        """Counts the capacity an answer reports, and returns its sum."""
        total = 0.0
        if not consumed:
            return total
        for entry in consumed if isinstance(consumed, list) else [consumed]:
            units = float(entry.get("CapacityUnits", 0.0))
            DYNAMODB_CAPACITY.labels(self._logical_name(entry.get("TableName", "?"))).inc(units)
            capacity_consumed(units)
            total += units
        return total


def items_examined(operation: str, response: dict[str, Any]) -> int:
    """The items a read made DynamoDB look at: a Query's or Scan's ScannedCount (before its filter), else the items
    it returned."""
    if operation in ("query", "scan"):
        return int(response.get("ScannedCount", 0))
    if operation == "get_item":
        return 1 if "Item" in response else 0
    return sum(len(items) for items in response.get("Responses", {}).values())


class NoCredentials(RuntimeError):
    """A custom endpoint that is not local, and no AWS credentials to sign for it."""


@dataclass(frozen=True)
class Credentials:
    """What the client signs with: `keys` (empty: the standard chain, resolved by the client), and where from."""

    keys: dict[str, str]
    source: str
    fixed: FrozenKeys | None = None
    """The keys themselves when they never change (the dummy key, or the environment's): the aiohttp transport
    signs with them without asking the chain."""


def is_local(endpoint_url: str) -> bool:
    return (urlsplit(endpoint_url).hostname or "") in LOCAL_HOSTS


def resolve_credentials(settings: Settings) -> Credentials:
    """The standard chain's credentials; the dummy key only for a local endpoint without any (see the docstring)."""
    endpoint = settings.dynamodb_endpoint_url
    in_environment = environment_keys()
    if in_environment is not None:
        return Credentials({}, _SOURCES["env"], in_environment)
    import botocore.session  # here: a Lambda with its keys in the environment never needs it (cold start)

    session = botocore.session.get_session()
    _no_instance_metadata_if_local(session, settings)
    found = session.get_credentials()
    if found is not None:
        return Credentials({}, _SOURCES.get(found.method, found.method))
    if endpoint and is_local(endpoint):
        keys = {"aws_access_key_id": DUMMY_KEY, "aws_secret_access_key": DUMMY_KEY}
        source = f"none configured, dummy key for the local endpoint {endpoint}"
        return Credentials(keys, source, (DUMMY_KEY, DUMMY_KEY, None))
    if endpoint:
        raise NoCredentials(
            f"DYNAMODB_ENDPOINT_URL={endpoint} is not a local endpoint (localhost, 127.0.0.1, ::1) and no AWS "
            "credentials are configured: set AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, AWS_PROFILE or a role"
        )
    return Credentials({}, "none found by the standard chain: DynamoDB requests will fail to sign")


def _no_instance_metadata_if_local(session: botocore.session.Session, settings: Settings) -> None:
    """For a local endpoint, `session`'s credential chain leaves out the instance metadata service."""
    if settings.dynamodb_endpoint_url and is_local(settings.dynamodb_endpoint_url):
        # Nothing configured is the common case here: do not wait on the instance metadata service.
        session.get_component("credential_provider").remove("iam-role")


def environment_keys() -> FrozenKeys | None:
    """The keys in the environment, when the standard chain would take them from there and never refresh them.

    The chain's first provider reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN); with
    AWS_CREDENTIAL_EXPIRATION set it would refresh them, and a profile named in the environment can take
    precedence, so those cases are left to the chain. This is how a Lambda gets its role's keys.
    """
    access_key, secret_key = os.environ.get("AWS_ACCESS_KEY_ID"), os.environ.get("AWS_SECRET_ACCESS_KEY")
    if not access_key or not secret_key:
        return None
    if any(os.environ.get(name) for name in ("AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE")):
        return None
    return access_key, secret_key, os.environ.get("AWS_SESSION_TOKEN") or os.environ.get("AWS_SECURITY_TOKEN")


def client_kwargs(settings: Settings, credentials: Credentials | None = None) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"region_name": settings.aws_region}
    if settings.dynamodb_endpoint_url:
        kwargs["endpoint_url"] = settings.dynamodb_endpoint_url
    return kwargs | (credentials or resolve_credentials(settings)).keys


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
    credentials = resolve_credentials(settings)
    logger.info("DynamoDB credentials: %s", credentials.source)
    kwargs = client_kwargs(settings, credentials)
    if settings.dynamodb_client == "boto3":
        opened = _boto3_dynamo(settings, kwargs)
    elif settings.dynamodb_client == "aiobotocore":
        opened = _aiobotocore_dynamo(settings, kwargs)
    elif settings.dynamodb_client == "aiohttp":
        opened = _aiohttp_dynamo(settings, kwargs, credentials)
    else:
        raise ValueError(f"DYNAMODB_CLIENT must be aiohttp, aiobotocore or boto3, not {settings.dynamodb_client!r}")
    async with opened as dynamo:
        yield dynamo


async def _aiobotocore_client(stack: AsyncExitStack, settings: Settings, kwargs: dict[str, Any]) -> Call:
    from aiobotocore.config import AioConfig
    from aiobotocore.session import get_session

    from graphql_api.dynamo.fast_parser import use_fast_parser

    session = get_session()
    if settings.dynamodb_fast_parser:
        use_fast_parser(session)
    client = await stack.enter_async_context(
        session.create_client("dynamodb", config=AioConfig(**config_kwargs(settings)), **kwargs)
    )
    client.meta.events.register("before-send.dynamodb", request_sent)

    async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = await getattr(client, operation)(**params)
        return result

    return call


@asynccontextmanager
async def _aiobotocore_dynamo(settings: Settings, kwargs: dict[str, Any]) -> AsyncIterator[Dynamo]:
    async with AsyncExitStack() as stack:
        yield Dynamo(await _aiobotocore_client(stack, settings, kwargs), settings.table_prefix)


@asynccontextmanager
async def _aiohttp_dynamo(
    settings: Settings, kwargs: dict[str, Any], credentials: Credentials
) -> AsyncIterator[Dynamo]:
    """The data plane through graphql_api.dynamo.data_plane; the rest through aiobotocore, opened on first use."""
    async with AsyncExitStack() as stack:
        timeout = aiohttp.ClientTimeout(
            total=None, sock_connect=settings.dynamodb_connect_timeout, sock_read=settings.dynamodb_read_timeout
        )
        http = await stack.enter_async_context(
            aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=settings.dynamodb_max_pool_connections),
                timeout=timeout,
                auto_decompress=False,  # DynamoDB's CRC32 is of the bytes sent
                headers={"accept-encoding": "identity", "user-agent": "graphql-api"},
            )
        )
        endpoint = endpoint_for(settings.aws_region, settings.dynamodb_endpoint_url)
        keys = await _key_source(settings, credentials)
        data_plane = DataPlane(http, endpoint, settings.aws_region, keys, settings.dynamodb_max_attempts)
        control_plane: list[Call] = []
        opening = asyncio.Lock()

        async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            if operation in OPERATIONS:
                return await data_plane.call(operation, params)
            async with opening:
                if not control_plane:
                    control_plane.append(await _aiobotocore_client(stack, settings, kwargs))
            return await control_plane[0](operation, params)

        yield Dynamo(call, settings.table_prefix)


async def _key_source(settings: Settings, credentials: Credentials) -> KeySource:
    """What each data-plane request is signed with: keys that never change, or the standard chain's (refreshed)."""
    fixed = credentials.fixed
    if fixed is not None:

        async def unchanging() -> FrozenKeys:
            return fixed

        return unchanging
    from aiobotocore.session import AioSession

    session = AioSession()  # the chain resolve_credentials asked, its keys refreshed when temporary
    _no_instance_metadata_if_local(session, settings)
    found = await session.get_credentials()

    async def chain() -> FrozenKeys | None:
        if found is None:
            return None
        keys = await found.get_frozen_credentials()
        if keys.access_key is None or keys.secret_key is None:
            return None
        return keys.access_key, keys.secret_key, keys.token

    return chain


@asynccontextmanager
async def _boto3_dynamo(settings: Settings, kwargs: dict[str, Any]) -> AsyncIterator[Dynamo]:
    import boto3  # only for DYNAMODB_CLIENT=boto3: its import (s3transfer...) is a noticeable part of a cold start
    import botocore.session
    from botocore.config import Config

    from graphql_api.dynamo.fast_parser import use_fast_parser

    session = botocore.session.get_session()
    if settings.dynamodb_fast_parser:
        use_fast_parser(session)
    client = boto3.session.Session(botocore_session=session).client(
        "dynamodb", config=Config(**config_kwargs(settings)), **kwargs
    )
    client.meta.events.register("before-send.dynamodb", request_sent)
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
