"""What tracing and the rate limiter cost per request, measured side by side in one run (issue 23).

One DynamoDB Local, five service processes on the same tables, each asked the canonical query (4 DynamoDB
requests) in interleaved rounds: `baseline` (no OTEL_* variable, RATE_LIMIT_ENABLED=false), `tracing on`
(OTLP over HTTP to a sink run here that answers 200: spans built, batched, serialised and sent),
`limiter dynamodb` (the default: one conditional UpdateItem on RateLimits per request), `limiter redis`
(RATE_LIMIT_STORE=redis://..., a redis-server started here: one Lua script per request) and `limiter memory`
(RATE_LIMIT_STORE=memory, this process's counters). The limiter's budgets are set out of reach: this measures
the check, not refusals. In-process, what the hooks of tracing cost when it is off (one test of a module
global per hook: 1 per operation, 1 per DynamoDB call, 1 per log line) is timed alone, and so is each store's
charge (RateLimiter.charge on the same DynamoDB Local, redis-server and memory, interleaved: the limiter's own
cost per request without the noise of whole requests on a shared machine).

    .venv/bin/python -m bench.ops_cost [--rounds 6] [--per-round 100]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import threading
import time
import timeit
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from bench.common import (
    Answer,
    bench_server,
    build_bench_data,
    environment,
    http_session,
    loaded_dynamodb_local,
    percentile,
    post_graphql,
    sequential,
    throughput,
)
from graphql_api import tracing
from graphql_api.auth.identity import ANONYMOUS
from graphql_api.dynamo.client import open_dynamo
from graphql_api.http.rate_limit import RateLimiter
from graphql_api.http.rate_limit_store import open_store
from graphql_api.settings import Settings
from tests.operations import CANONICAL
from tests.support.live_bus import RedisServer

FACTORY = "graphql_api.app:app_from_env"
OUT_OF_REACH = str(10**9)
HOOKS_PER_CANONICAL = 1 + 4 + 1
"""Tracing's off-path tests per canonical answer: its operation, its 4 DynamoDB calls, its log line."""


class _Sink(BaseHTTPRequestHandler):
    """An OTLP/HTTP collector that keeps nothing: 200 to every export."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "application/x-protobuf")
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def otlp_sink() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()


@contextmanager
def redis_server() -> Iterator[str]:
    server = RedisServer()
    server.start()
    try:
        yield server.url
    finally:
        server.stop()


def contenders(sink: str, redis_url: str) -> dict[str, dict[str, str]]:
    off = {"RATE_LIMIT_ENABLED": "false"}
    limiter = {
        "RATE_LIMIT_ENABLED": "true",
        "RATE_LIMIT_ADMIN": OUT_OF_REACH,
        "RATE_LIMIT_ADMIN_MUTATIONS": OUT_OF_REACH,
    }
    return {
        "baseline": off,
        "tracing on": off | {"OTEL_EXPORTER_OTLP_ENDPOINT": sink, "OTEL_SERVICE_NAME": "graphql-api-bench"},
        "limiter dynamodb": limiter | {"RATE_LIMIT_STORE": "dynamodb"},
        "limiter redis": limiter | {"RATE_LIMIT_STORE": redis_url},
        "limiter memory": limiter | {"RATE_LIMIT_STORE": "memory"},
    }


def off_path_ns(count: int = 2_000_000) -> float:
    """Nanoseconds of one off-path hook: `tracing.tracer() is None`, as the client, view and log filter test it."""
    assert tracing.tracer() is None
    seconds = min(timeit.repeat("tracer() is None", globals={"tracer": tracing.tracer}, number=count, repeat=5))
    return seconds / count * 1e9


async def charge_costs(settings: Settings, redis_url: str, rounds: int, per_round: int) -> dict[str, float]:
    """Median microseconds of one RateLimiter.charge with each store, in interleaved rounds, one caller each."""
    stores = {"dynamodb": "dynamodb", "redis": redis_url, "memory": "memory"}
    timings: dict[str, list[float]] = {name: [] for name in stores}
    async with open_dynamo(settings) as dynamo:
        limiters = {}
        for name, location in stores.items():
            out_of_reach = {"rate_limit_anonymous": 10**9, "rate_limit_store_timeout": 30.0}
            limited = settings.replace(rate_limit_store=location, **out_of_reach)
            limiters[name] = RateLimiter(limited, open_store(limited, dynamo))
        for number in range(rounds + 1):  # the first round warms up (connections, the Lua script loaded)
            order = list(limiters) if number % 2 == 0 else list(reversed(limiters))
            for name in order:
                for _ in range(per_round):
                    started = time.perf_counter()
                    assert await limiters[name].charge(ANONYMOUS, f"bench-{name}", 4, 0) is not None, name
                    if number:
                        timings[name].append((time.perf_counter() - started) * 1e6)
    return {name: statistics.median(values) for name, values in timings.items()}


async def compare(urls: dict[str, str], customer_id: str, rounds: int, per_round: int) -> dict[str, dict[str, float]]:
    body = {"query": CANONICAL, "variables": {"id": customer_id}}
    latencies: dict[str, list[float]] = {name: [] for name in urls}
    rates: dict[str, list[float]] = {name: [] for name in urls}
    async with http_session() as session:

        def asker(url: str) -> Any:
            async def ask() -> Answer:
                return await post_graphql(session, url, body)

            return ask

        for url in urls.values():  # warm up every process (plans compiled, connections open)
            await sequential(asker(url), 50, 15)
        for number in range(rounds):
            order = list(urls) if number % 2 == 0 else list(reversed(urls))
            for name in order:
                measured, answers = await sequential(asker(urls[name]), per_round, 30)
                assert all(answer.requests == 4 for answer in answers), name
                latencies[name] += measured
            for name in order:
                rates[name].append(await throughput(asker(urls[name]), per_round * 2, 16, 30))
    return {
        name: {
            "p50_ms": percentile(latencies[name], 0.5) * 1000,
            "p99_ms": percentile(latencies[name], 0.99) * 1000,
            "answers_per_s": statistics.median(rates[name]),
        }
        for name in urls
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=100)
    args = parser.parse_args()
    hook_ns = off_path_ns()
    data = build_bench_data()
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        sink = stack.enter_context(otlp_sink())
        redis_url = stack.enter_context(redis_server())
        urls = {}
        for name, variables in contenders(sink, redis_url).items():
            with environment(**variables):
                log = f"bench-ops-{name.replace(' ', '-')}.log"
                urls[name] = stack.enter_context(bench_server(FACTORY, settings, log))
        result = asyncio.run(compare(urls, data.canonical.customer_id, args.rounds, args.per_round))
        charges = asyncio.run(charge_costs(settings, redis_url, args.rounds, args.per_round))
    base = result["baseline"]
    for name, figures in result.items():
        print(
            f"{name:>16}: p50 {figures['p50_ms']:.2f} ms  p99 {figures['p99_ms']:.2f} ms  "
            f"{figures['answers_per_s']:.0f} answers/s @16  "
            f"(p50 {figures['p50_ms'] / base['p50_ms']:.3f}x, {(figures['p50_ms'] - base['p50_ms']) * 1000:+.0f} us; "
            f"throughput {figures['answers_per_s'] / base['answers_per_s']:.3f}x)"
        )
    off_us = hook_ns * HOOKS_PER_CANONICAL / 1000
    print(
        f"tracing off: {hook_ns:.0f} ns per hook, {HOOKS_PER_CANONICAL} hooks per canonical answer = {off_us:.2f} us, "
        f"{off_us / (base['p50_ms'] * 1000) * 100:.4f}% of the baseline p50"
    )
    for name, micros in charges.items():
        print(
            f"limiter charge alone, {name:>8} store: median {micros:.0f} us "
            f"({micros / (base['p50_ms'] * 1000) * 100:.1f}% of the baseline p50; "
            f"{micros / charges['memory']:.0f}x the memory store)"
        )


if __name__ == "__main__":
    main()
