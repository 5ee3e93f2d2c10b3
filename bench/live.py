"""Live updates measured: end-to-end event latency (write -> subscriber receives) and fan-out with memory.

On DynamoDB Local and on moto's server (both started here), the service runs under uvicorn in its own
process. Latency: one subscriber to a product, `--writes` updates one after the other, each timed from
the write's request to the event's arrival over the WebSocket. Fan-out: `--subscribers` subscriptions
(20 per connection) to one product, `--updates` updates; every subscriber must get every update or be
closed; the service's RSS is read from /proc before and after.

`--bus` (issue 25) measures the bus beside the in-process mode, on DynamoDB Local: a real redis-server,
one `graphql-api relay`, and 1 then 3 instances with LIVE_BUS. Latency is timed from the write's request
to the event's arrival at the last of the subscribers (one per instance); the fan-out's subscribers are
spread over the instances. It also times what publishing keys instead of images would add to each event
(a GetItem by each instance) and the size of a published message.

    .venv/bin/python -m bench.live [--writes 100] [--subscribers 200] [--updates 100] [--bus]
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
from graphql_api.graphql.registry import ALL_TABLES
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


async def latency(url: str, writes: int, others: tuple[str, ...] = ()) -> list[float]:
    """Write through `url`; the time until the subscriber of every instance (`url` and `others`) has the event."""
    async with aiohttp.ClientSession() as session:
        made = await product(session, url)
        clients = []
        for each in (url, *others):
            before = await active_subscriptions(each)
            client = await LiveClient.connect(each)
            await client.subscribe("1", PRODUCT_CHANGED, {"ids": [made["productId"]]})
            await until_subscribed(each, before + 1, within=30)
            clients.append(client)
        seconds = []
        for number in range(writes):
            started = time.perf_counter()
            await update(session, url, made["productId"], made["version"] + number, number + 2)
            for client in clients:
                while True:  # the creation's event may come first (relayed after the subscription started)
                    message = await client.next("1", within=30)
                    if message["payload"]["data"]["productChanged"]["stock"] == number + 2:
                        break
            seconds.append(time.perf_counter() - started)
        for client in clients:
            await client.close()
        return seconds


async def fan_out(url: str, port: int, subscribers: int, updates: int, others: tuple[str, ...] = ()) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session:
        made = await product(session, url)
        rss_before = rss_kb(port)
        urls = (url, *others)
        befores = [await active_subscriptions(each) for each in urls]
        per_connection = 10
        clients = [
            await LiveClient.connect(urls[n % len(urls)], f"Bearer {shared_issuer().token(f'fan-{n}')}")
            for n in range(subscribers // per_connection)
        ]
        for client in clients:
            for number in range(per_connection):
                await client.subscribe(str(number), PRODUCT_CHANGED, {"ids": [made["productId"]]})
        for index, each in enumerate(urls):
            share = len(range(index, subscribers // per_connection, len(urls))) * per_connection
            await until_subscribed(each, befores[index] + share, within=60)
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
                if message["payload"]["data"]["productChanged"]["stock"] != 1:  # not the creation, relayed late
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


def report(label: str, seconds: list[float], fan: dict[str, Any], subscribers: int, updates: int) -> None:
    p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
    print(f"{label:>22}: event latency over {len(seconds)} writes: p50 {p50:.0f} ms, p99 {p99:.0f} ms")
    before, subscribed, after = fan["rss_kb"]
    print(
        f"{label:>22}: fan-out {subscribers} subscribers x {updates} updates: "
        f"{fan['complete']} got all, {fan['closed']} closed, {fan['events']} events in {fan['seconds']:.1f} s "
        f"({fan['events'] / fan['seconds']:.0f} events/s); RSS {before // 1024} MB idle, "
        f"{subscribed // 1024} MB subscribed, {after // 1024} MB after"
    )


def bus(args: argparse.Namespace) -> None:
    """In-process, then the bus with 1 and 3 instances, on one DynamoDB Local and one Redis."""
    from graphql_api.live.leases import LIVE_LEASES
    from tests.support.live_bus import RedisServer, bus_env, instance, processes, relay

    with ExitStack() as stack:
        endpoint = stack.enter_context(dynamodb_local())
        settings = fresh_settings(endpoint)
        run_with_dynamo(settings, lambda dynamo: create_tables(dynamo, tables=(*ALL_TABLES, LIVE_LEASES)))
        with service_process(settings, "bench-live.log") as url:
            port = int(url.split(":")[2].split("/")[0])
            seconds = asyncio.run(latency(url, args.writes))
            fan = asyncio.run(fan_out(url, port, args.subscribers, args.updates))
            report("in-process", seconds, fan, args.subscribers, args.updates)
        redis = RedisServer()
        redis.start()
        stack.callback(redis.stop)
        started = stack.enter_context(processes())
        started.append(relay(bus_env(settings, redis.url, endpoint)))
        urls = []
        for _ in range(3):
            process, each = instance(bus_env(settings, redis.url, endpoint, LOG_LEVEL="WARNING"))
            started.append(process)
            urls.append(each)
        for count in (1, 3):
            first, others = urls[0], tuple(urls[1:count])
            seconds = asyncio.run(latency(first, args.writes, others))
            fan = asyncio.run(fan_out(first, started[1].port, args.subscribers, args.updates, others))
            report(f"bus, {count} instance{'s' if count > 1 else ''}", seconds, fan, args.subscribers, args.updates)
        asyncio.run(keys_instead_of_images(settings, args.writes))


async def keys_instead_of_images(settings: Any, reads: int) -> None:
    """What a key on the bus would add per event and instance: a GetItem of the product (its loader's read)."""
    from graphql_api.dynamo.client import open_dynamo
    from graphql_api.live.bus import record_message
    from graphql_api.repositories.products import PRODUCTS

    table = PRODUCTS.table.physical_name(settings.table_prefix)
    async with open_dynamo(settings) as dynamo:
        item = (await dynamo.call("scan", TableName=table, Limit=1))["Items"][0]
        seconds = []
        for _ in range(reads):
            started = time.perf_counter()
            await dynamo.call("get_item", TableName=table, Key={"ProductId": item["ProductId"]})
            seconds.append(time.perf_counter() - started)
    record = {"dynamodb": {"NewImage": item, "OldImage": item, "SequenceNumber": "1" * 21}}
    size = len(record_message("shardId-1", record))
    p50, p99 = percentile(seconds, 0.5) * 1000, percentile(seconds, 0.99) * 1000
    print(
        f"{'keys instead of images':>22}: +1 GetItem per event and instance (p50 {p50:.1f} ms, p99 {p99:.1f} ms "
        f"over {reads}); a product's image message is {size} bytes"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--writes", type=int, default=100)
    parser.add_argument("--subscribers", type=int, default=200)
    parser.add_argument("--updates", type=int, default=100)
    parser.add_argument("--bus", action="store_true", help="in-process beside the bus with 1 and 3 instances")
    args = parser.parse_args()
    if args.bus:
        bus(args)
        return
    for backend, server in (("dynamodb-local", dynamodb_local), ("moto", moto_server)):
        with ExitStack() as stack:
            endpoint = stack.enter_context(server())
            settings = fresh_settings(endpoint)
            run_with_dynamo(settings, create_tables)
            url = stack.enter_context(service_process(settings, "bench-live.log"))
            port = int(url.split(":")[2].split("/")[0])
            seconds = asyncio.run(latency(url, args.writes))
            fan = asyncio.run(fan_out(url, port, args.subscribers, args.updates))
            report(backend, seconds, fan, args.subscribers, args.updates)


if __name__ == "__main__":
    main()
