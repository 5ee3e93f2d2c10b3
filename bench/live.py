"""Live updates measured: end-to-end event latency (write -> subscriber receives) and fan-out with memory.

On DynamoDB Local and on moto's server (both started here), the service runs under uvicorn in its own
process. Latency: one subscriber to a product, `--writes` updates one after the other, each timed from
the write's request to the event's arrival over the WebSocket. Fan-out: `--subscribers` subscriptions
(20 per connection) to one product, `--updates` updates; every subscriber must get every update or be
closed; the service's RSS is read from /proc before and after.

    .venv/bin/python -m bench.live [--writes 100] [--subscribers 200] [--updates 100]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import aiohttp

from bench.common import percentile
from graphql_api.ops.table_admin import create_tables
from tests.backends import dynamodb_local, moto_server, service_process
from tests.issuer import admin_headers, shared_issuer
from tests.live_client import LiveClient, active_subscriptions, until_subscribed
from tests.support import fresh_settings, run_with_dynamo

PRODUCT_CHANGED = "subscription($ids: [ID!]!) { productChanged(productIds: $ids) { productId stock } }"
CREATE = "mutation($i: CreateProductInput!) { createProduct(input: $i) { productId version } }"
UPDATE = "mutation($i: UpdateProductInput!) { updateProduct(input: $i) { version } }"


def rss_kb(port: int) -> int:
    """The resident memory of the process listening on `port` (found through /proc)."""
    inode = None
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if fields[1].endswith(f":{port:04X}") and fields[3] == "0A":
            inode = fields[9]
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if any(Path(fd).readlink() == Path(f"socket:[{inode}]") for fd in (proc / "fd").iterdir()):
                for line in (proc / "status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        return int(line.split()[1])
        except OSError:
            continue
    return -1


async def product(session: aiohttp.ClientSession, url: str) -> dict[str, Any]:
    body = {
        "query": CREATE,
        "variables": {"i": {"name": "Live", "category": "live", "price": "1.00", "currency": "EUR", "stock": 1}},
    }
    async with session.post(url, json=body, headers=admin_headers()) as response:
        created: dict[str, Any] = (await response.json())["data"]["createProduct"]
        return created


async def update(session: aiohttp.ClientSession, url: str, product_id: str, version: int, stock: int) -> None:
    body = {"query": UPDATE, "variables": {"i": {"productId": product_id, "expectedVersion": version, "stock": stock}}}
    async with session.post(url, json=body, headers=admin_headers()) as response:
        assert "errors" not in await response.json()


async def latency(url: str, writes: int) -> list[float]:
    async with aiohttp.ClientSession() as session:
        made = await product(session, url)
        before = await active_subscriptions(url)
        client = await LiveClient.connect(url)
        await client.subscribe("1", PRODUCT_CHANGED, {"ids": [made["productId"]]})
        await until_subscribed(url, before + 1)
        seconds = []
        for number in range(writes):
            started = time.perf_counter()
            await update(session, url, made["productId"], made["version"] + number, number + 2)
            message = await client.next("1", within=10)
            assert message["payload"]["data"]["productChanged"]["stock"] == number + 2
            seconds.append(time.perf_counter() - started)
        await client.close()
        return seconds


async def fan_out(url: str, port: int, subscribers: int, updates: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        made = await product(session, url)
        rss_before = rss_kb(port)
        before = await active_subscriptions(url)
        per_connection = 10
        clients = [
            await LiveClient.connect(url, f"Bearer {shared_issuer().token(f'fan-{n}')}")
            for n in range(subscribers // per_connection)
        ]
        for client in clients:
            for number in range(per_connection):
                await client.subscribe(str(number), PRODUCT_CHANGED, {"ids": [made["productId"]]})
        await until_subscribed(url, before + subscribers, within=60)
        rss_subscribed = rss_kb(port)
        started = time.perf_counter()
        for number in range(updates):
            await update(session, url, made["productId"], made["version"] + number, number + 2)

        async def collect(client: LiveClient, operation_id: str) -> int | str:
            received = 0
            while received < updates:
                message = await client.next(operation_id, within=30)
                if message["type"] != "next" or message["payload"].get("errors"):
                    return "closed"
                received += 1
            return received

        results = await asyncio.gather(*(collect(c, str(n)) for c in clients for n in range(per_connection)))
        elapsed = time.perf_counter() - started
        rss_after = rss_kb(port)
        for client in clients:
            await client.close()
        return {
            "complete": sum(1 for result in results if result == updates),
            "closed": sum(1 for result in results if result == "closed"),
            "events": sum(result for result in results if isinstance(result, int)),
            "seconds": elapsed,
            "rss_kb": (rss_before, rss_subscribed, rss_after),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--updates", type=int, default=100)
    args = parser.parse_args()
    for backend, server in (("dynamodb-local", dynamodb_local), ("moto", moto_server)):
        with ExitStack() as stack:
            endpoint = stack.enter_context(server())
            settings = fresh_settings(endpoint)
            run_with_dynamo(settings, create_tables)
            url = stack.enter_context(service_process(settings, "bench-live.log"))
            port = int(url.split(":")[2].split("/")[0])
            seconds = asyncio.run(latency(url, args.writes))
            p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
            print(f"{backend:>14}: event latency over {len(seconds)} writes: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
            fan = asyncio.run(fan_out(url, port, args.subscribers, args.updates))
            before, subscribed, after = fan["rss_kb"]
            print(
                f"{backend:>14}: fan-out {args.subscribers} subscribers x {args.updates} updates: "
                f"{fan['complete']} got all, {fan['closed']} closed, {fan['events']} events in {fan['seconds']:.1f} s "
                f"({fan['events'] / fan['seconds']:.0f} events/s); RSS {before // 1024} MB idle, "
                f"{subscribed // 1024} MB subscribed, {after // 1024} MB after"
            )


if __name__ == "__main__":
    main()
