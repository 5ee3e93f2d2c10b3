"""What the benchmarks share: the data set, the processes, DynamoDB request and wave counting, and measuring.

Counting. Every contender counts the DynamoDB requests of one answer the way the service does (a
botocore `before-send` hook, so a retried attempt counts) and its *waves*: the number of times the
requests in flight for that answer went from none to some, i.e. the round trips on its critical path.
The counters live in a context variable set per HTTP request (`TrackingMiddleware`) or per call
(`tracked`), so concurrent answers do not mix.
"""

from __future__ import annotations

import asyncio
import math
import os
import random
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any, cast

import aiohttp
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from starlette.applications import Starlette
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.local.embedded import free_port
from graphql_api.ops.seed import Dataset, add_order, make_customer, make_product, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.customers import Customer
from graphql_api.repositories.orders import OrderStatus
from graphql_api.repositories.products import Product
from graphql_api.services import services_of
from graphql_api.settings import Settings
from tests.backends import ROOT, dynamodb_local, wait_for_port
from tests.fixtures_data import build_test_data

TABLE_PREFIX = "bench-"
CURSOR_SECRET = "bench-cursor-secret"
BENCH_CATEGORY = "bench"
BENCH_PRODUCTS = 100
START_STOCK = 1_000_000
"""Stock of every `bench` product: placeOrder in the benchmarks never runs out."""
ADDED_LATENCY_ENV = "BENCH_DYNAMODB_LATENCY_MS"
"""Milliseconds added to every DynamoDB request of every contender (bench.run --dynamodb-latency-ms)."""


def added_latency() -> float:
    """Seconds to wait before each DynamoDB request: a stand-in for the network to a real DynamoDB."""
    return float(os.environ.get(ADDED_LATENCY_ENV) or 0) / 1000


# --- the data set -------------------------------------------------------------------------------------


@dataclass
class BenchData:
    dataset: Dataset
    canonical: Customer
    """20 orders x 3 lines over 60 distinct products (tests.fixtures_data)."""
    buyer: Customer
    """Places the benchmark's orders, so that the canonical customer's newest orders never change."""
    catalog: list[Product]
    """100 products of category `bench` with plenty of stock: products(productIds:) and placeOrder."""
    scaling: Customer | None = None
    """With `scaling_orders`: that many orders of 3 lines, every line a product of its own."""


def build_bench_data(*, scaling_orders: int = 0) -> BenchData:
    """The tests' data set (tests.fixtures_data) plus what the benchmarks ask for; the same on every run."""
    test = build_test_data()
    data = test.dataset
    rng = random.Random(4242)
    start = now().replace(microsecond=0) - timedelta(days=30)
    catalog = [
        replace(make_product(rng, BENCH_CATEGORY, f"Bench Product {n:03d}", start), stock=START_STOCK)
        for n in range(BENCH_PRODUCTS)
    ]
    data.products += catalog
    buyer = make_customer(rng, "Bench Buyer", "bench.buyer@example.com", start)
    data.customers.append(buyer)
    scaling = None
    if scaling_orders:
        scaler = make_customer(rng, "Scale Up", "scale.up@example.com", start)
        data.customers.append(scaler)
        own = [make_product(rng, "scaling", f"Scaling Product {n:03d}", start) for n in range(scaling_orders * 3)]
        data.products += own
        for number in range(scaling_orders):
            lines = [(own[number * 3 + k], 1) for k in range(3)]
            add_order(
                data, rng, data.customer(scaler.customer_id), lines, OrderStatus.PAID, start + timedelta(hours=number)
            )
        scaling = data.customer(scaler.customer_id)
    return BenchData(dataset=data, canonical=test.canonical, buyer=buyer, catalog=catalog, scaling=scaling)


# --- processes --------------------------------------------------------------------------------------------


@contextmanager
def loaded_dynamodb_local(data: Dataset) -> Iterator[Settings]:
    """Amazon's DynamoDB Local (tests.backends) with the tables created and `data` written."""
    with ExitStack() as stack:
        endpoint = stack.enter_context(dynamodb_local())
        # The open API (every caller an admin), as bench_server's peers: the service refuses to start in
        # AUTH_MODE=oidc without an issuer. bench.auth_cost sets an issuer to measure verifying a token.
        settings = Settings(
            dynamodb_endpoint_url=endpoint, table_prefix=TABLE_PREFIX, cursor_secret=CURSOR_SECRET, auth_mode="none"
        )

        async def prepare() -> None:
            async with open_dynamo(settings) as dynamo:
                await create_tables(dynamo)
                await write_dataset(dynamo, data)

        asyncio.run(prepare())
        yield settings


@contextmanager
def environment(**values: str) -> Iterator[None]:
    """Extra environment variables for the processes started inside (they copy os.environ when they start)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def bench_server(factory: str, settings: Settings, log_name: str) -> Iterator[str]:
    """A benchmark peer (`module:function` returning an ASGI app) under uvicorn in its own process.

    Configured like tests.backends.service_process, with the same environment variables, which
    the peers read with graphql_api.settings.load_settings; yields its /graphql URL.
    """
    port = free_port()
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "CURSOR_SECRET": settings.cursor_secrets[0],
        "LOG_LEVEL": "WARNING",
        # Without an issuer the benchmarks measure the open API (every caller an admin); bench.auth_cost
        # measures what verifying a token adds.
        "AUTH_MODE": "oidc" if settings.auth_issuer else "none",
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
    }
    command = [sys.executable, "-m", "uvicorn", "--factory", factory, "--port", str(port)]
    command += ["--log-level", "warning", "--no-access-log"]
    log_dir = ROOT / "test-artifacts"
    log_dir.mkdir(exist_ok=True)
    with open(log_dir / log_name, "ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port("127.0.0.1", port, process)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


# --- counting requests and waves ------------------------------------------------------------------------


@dataclass
class Tally:
    """The DynamoDB requests and waves of one answer."""

    requests: int = 0
    waves: int = 0
    in_flight: int = 0
    operations: list[str] = field(default_factory=list)


current_tally: ContextVar[Tally | None] = ContextVar("current_tally", default=None)


def count_attempt(event_name: str, **_: Any) -> None:
    """botocore `before-send` hook, as the service's: every HTTP attempt counts."""
    tally = current_tally.get()
    if tally is not None:
        tally.requests += 1
        tally.operations.append(event_name.rsplit(".", 1)[-1])


@asynccontextmanager
async def in_flight() -> AsyncIterator[None]:
    """Around one DynamoDB call: a call that starts when none is in flight starts a new wave."""
    tally = current_tally.get()
    if tally is None:
        yield
        return
    if tally.in_flight == 0:
        tally.waves += 1
    tally.in_flight += 1
    try:
        yield
    finally:
        tally.in_flight -= 1


async def tracked(work: Awaitable[Any]) -> tuple[Any, Tally]:
    """Run `work` with a tally of its own (in a task of its own, so concurrent calls do not mix)."""

    async def run() -> tuple[Any, Tally]:
        tally = Tally()
        current_tally.set(tally)
        return await work, tally

    return await asyncio.create_task(run())


class TrackingMiddleware:
    """Per HTTP request: a tally, reported in `X-DynamoDB-Requests` and `X-DynamoDB-Waves`.

    Around the service itself (`report_requests=False`) only the waves: it reports its requests.
    """

    def __init__(self, app: ASGIApp, report_requests: bool = True) -> None:
        self.app = app
        self.report_requests = report_requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        tally = Tally()
        token = current_tally.set(tally)

        async def send_with_counts(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-dynamodb-waves", str(tally.waves).encode())]
                if self.report_requests:
                    headers.append((b"x-dynamodb-requests", str(tally.requests).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_counts)
        finally:
            current_tally.reset(token)


class DirectClient:
    """An aiobotocore DynamoDB client configured as the service's, counting requests and waves.

    `call` is the only way the limit, the raw handler and the naive peer reach DynamoDB.
    """

    def __init__(self, client: Any, table_prefix: str) -> None:
        self._client = client
        self.table_prefix = table_prefix
        self._latency = added_latency()

    def table(self, name: str) -> str:
        return f"{self.table_prefix}{name}"

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        async with in_flight():
            if self._latency:
                await asyncio.sleep(self._latency)
            response: dict[str, Any] = await getattr(self._client, operation)(**params)
            return response


@asynccontextmanager
async def open_direct(settings: Settings) -> AsyncIterator[DirectClient]:
    async with AsyncExitStack() as stack:
        config = AioConfig(
            connect_timeout=settings.dynamodb_connect_timeout,
            read_timeout=settings.dynamodb_read_timeout,
            retries={"mode": "standard", "total_max_attempts": settings.dynamodb_max_attempts},
            max_pool_connections=settings.dynamodb_max_pool_connections,
        )
        client = await stack.enter_async_context(
            get_session().create_client(
                "dynamodb",
                region_name=settings.aws_region,
                endpoint_url=settings.dynamodb_endpoint_url,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=config,
            )
        )
        client.meta.events.register("before-send.dynamodb", count_attempt)
        yield DirectClient(client, settings.table_prefix)


# --- asking over HTTP ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    """One answer: its JSON body, DynamoDB requests and waves (None where the contender does not tell)."""

    body: dict[str, Any]
    requests: int
    waves: int | None


Ask = Callable[[], Awaitable[Answer]]


class GraphQLError(RuntimeError):
    pass


async def post_graphql(session: aiohttp.ClientSession, url: str, body: Mapping[str, Any]) -> Answer:
    async with session.post(url, json=body) as response:
        payload: dict[str, Any] = await response.json(content_type=None)
        if response.status != 200 or payload.get("errors"):
            raise GraphQLError(f"{url} answered {response.status}: {str(payload)[:300]}")
        waves = response.headers.get("x-dynamodb-waves")
        return Answer(payload, int(response.headers["x-dynamodb-requests"]), int(waves) if waves else None)


def http_session(concurrency: int = 16) -> aiohttp.ClientSession:
    """Keep-alive connections, up to `concurrency` per server.

    Idle connections are dropped after 2 s, before uvicorn drops them (its keep-alive timeout is
    5 s): reusing a connection the server is closing fails with ServerDisconnectedError.
    """
    return aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(limit=0, limit_per_host=concurrency, keepalive_timeout=2),
        timeout=aiohttp.ClientTimeout(total=60),
    )


# --- measuring -----------------------------------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of fewer than 100 values is their maximum)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(fraction * len(ordered)) - 1))]


async def sequential(ask: Ask, count: int, max_seconds: float) -> tuple[list[float], list[Answer]]:
    """Latencies of up to `count` answers one after the other, stopping after `max_seconds`."""
    latencies: list[float] = []
    answers: list[Answer] = []
    deadline = time.perf_counter() + max_seconds
    for _ in range(count):
        started = time.perf_counter()
        answers.append(await ask())
        latencies.append(time.perf_counter() - started)
        if started > deadline:
            break
    return latencies, answers


async def throughput(ask: Ask, count: int, concurrency: int, max_seconds: float) -> float:
    """Answers per second of `concurrency` clients asking `count` times in all (or until `max_seconds`)."""
    remaining = count
    done = 0
    started = time.perf_counter()
    deadline = started + max_seconds

    async def client() -> None:
        nonlocal remaining, done
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            await ask()
            done += 1

    await asyncio.gather(*(client() for _ in range(concurrency)))
    return done / (time.perf_counter() - started)


class WaveCountingDynamo:
    """Wraps the service's own Dynamo (graphql_api.dynamo.client) to count its waves (and add latency, if asked).

    Used to measure the service in-process (its lifespan run here, then `count_waves(app)`) and
    in bench.patches' servers; the service itself reports its requests, not its waves.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.table_prefix: str = inner.table_prefix
        self._latency = added_latency()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        async with in_flight():
            if self._latency:
                await asyncio.sleep(self._latency)
            response: dict[str, Any] = await self._inner.call(operation, **params)
            return response


def count_waves(app: Starlette) -> None:
    """Wrap the service app's Dynamo, once its lifespan opened it, to count its waves."""
    services = services_of(app)
    app.state.services = replace(services, dynamo=cast(Dynamo, WaveCountingDynamo(services.dynamo)))
