"""The service's own data-plane client vs aiobotocore vs boto3-in-a-thread-pool, side by side on the canonical query.

    .venv/bin/python -m bench.client_choice [--requests 300] [--concurrency 16]

Starts DynamoDB Local, loads the test data set, runs one uvicorn server per client choice on the
same tables, and measures, interleaving the two so machine noise hits both alike: sequential
latency (p50, p99) and throughput at a fixed concurrency. Prints ratios; trust those, not the
absolute times, on a shared machine.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from contextlib import ExitStack

import httpx

from graphql_api.cli import EXAMPLE_QUERY
from graphql_api.dynamo.client import open_dynamo
from graphql_api.ops.seed import write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.settings import Settings
from tests.backends import dynamodb_local, service_process
from tests.fixtures_data import build_test_data

CLIENTS = ("aiohttp", "aiobotocore", "boto3")


async def sequential_latencies(url: str, body: dict[str, object], count: int) -> list[float]:
    async with httpx.AsyncClient() as client:
        latencies = []
        for _ in range(count):
            started = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append(time.perf_counter() - started)
            assert response.status_code == 200
            assert "errors" not in response.json()
        return latencies


async def throughput(url: str, body: dict[str, object], count: int, concurrency: int) -> float:
    limits = httpx.Limits(max_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        remaining = count

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                response = await client.post(url, json=body)
                assert response.status_code == 200

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return count / (time.perf_counter() - started)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    data = build_test_data()
    with ExitStack() as stack:
        endpoint = stack.enter_context(dynamodb_local())
        settings = Settings(dynamodb_endpoint_url=endpoint, table_prefix="bench-", cursor_secret="bench")

        async def prepare() -> None:
            async with open_dynamo(settings) as dynamo:
                await create_tables(dynamo)
                await write_dataset(dynamo, data.dataset)

        asyncio.run(prepare())
        urls = {
            client: stack.enter_context(service_process(settings.replace(dynamodb_client=client))) for client in CLIENTS
        }
        body: dict[str, object] = {"query": EXAMPLE_QUERY, "variables": {"id": data.canonical.customer_id}}
        latencies: dict[str, list[float]] = {client: [] for client in CLIENTS}
        rates: dict[str, list[float]] = {client: [] for client in CLIENTS}
        for client in CLIENTS:  # warm-up: connections, caches, JIT of DynamoDB Local
            asyncio.run(sequential_latencies(urls[client], body, 30))
        for _ in range(args.rounds):
            for client in CLIENTS:
                latencies[client] += asyncio.run(sequential_latencies(urls[client], body, args.requests // args.rounds))
                rates[client].append(asyncio.run(throughput(urls[client], body, args.requests, args.concurrency)))

    print(f"canonical query, DynamoDB Local, {os.cpu_count()} cores, {args.requests} requests per measure")
    print(f"{'client':<12} {'p50 ms':>8} {'p99 ms':>8} {f'req/s @{args.concurrency}':>12}")
    for client in CLIENTS:
        p50, p99 = percentile(latencies[client], 0.5) * 1000, percentile(latencies[client], 0.99) * 1000
        print(f"{client:<12} {p50:>8.1f} {p99:>8.1f} {statistics.median(rates[client]):>12.1f}")
    first, *others = CLIENTS
    for other in others:
        print(
            f"ratio {other}/{first}: p50 {percentile(latencies[other], 0.5) / percentile(latencies[first], 0.5):.2f}x, "
            f"throughput {statistics.median(rates[other]) / statistics.median(rates[first]):.2f}x"
        )


if __name__ == "__main__":
    main()
