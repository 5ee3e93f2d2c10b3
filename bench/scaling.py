"""Scaling shape: how requests and latency grow with the page size of a query with items and products.

    .venv/bin/python -m bench.scaling [--sizes 10,20,40,80,100] [--requests 60] [--rounds 3] [--no-naive]

A customer with 100 orders of 3 lines, every line a product of its own (300 products), so that
nothing is shared between orders and the keys per wave are 3n. For each page size n it asks

    customer { orders(first: n) { edges { node { orderId total
      items { quantity lineTotal product { productId name price } } } } } }

and prints the DynamoDB requests (the service's `X-DynamoDB-Requests`), the waves (counted in this
process, as bench.run does), and p50 latency of sequential answers, interleaved across sizes round
by round, next to the limit (bench.limit, the same requests by hand) and the naive peer
(bench.naive, a Query per order and a GetItem per line). The service's requests should be
2 + 2 x ceil(3n / 100): the customer, the orders page, then the lines and the products, each in
BatchGetItem chunks of 100 keys sent together, so the waves stay at 4 and latency grows far slower
than n; the naive peer's requests grow as 2 + 4n.

The service runs with GRAPHQL_MAX_ESTIMATED_ITEMS=2500: the default budget (2000, SPEC section 7:
first x 25 lines along the widest path) rejects orders(first: 100) { items }, and 100 x 25 = 2500; and with
GRAPHQL_MAX_REQUESTS=60: the request budget's estimate of that query is 52 (default budget 50).
tests.backends.service_process passes the environment of this process on, so the setting is made
there, for the benchmark's service only.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import sys
import time
from contextlib import ExitStack
from typing import Any

import httpx

from bench.common import (
    Answer,
    Ask,
    TrackingMiddleware,
    bench_server,
    build_bench_data,
    count_waves,
    environment,
    http_session,
    loaded_dynamodb_local,
    open_direct,
    percentile,
    post_graphql,
    sequential,
    tracked,
)
from bench.limit import canonical as limit_canonical
from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.backends import service_process

SCALING_QUERY = """\
query Scaling($id: ID!, $first: Int!) {
  customer(customerId: $id) {
    orders(first: $first) {
      edges { node { orderId total
        items { quantity lineTotal product { productId name price } } } }
    }
  }
}"""

ORDERS = 100
ESTIMATED_ITEMS = ORDERS * 25
# The request budget's estimate of orders(first: 100) with lines and products is 52 (the default budget is 50).
ESTIMATED_REQUESTS = 60


def expected_requests(size: int) -> int:
    """Customer, orders page, then lines and products in chunks of 100 keys."""
    return 2 + 2 * math.ceil(3 * size / 100)


async def service_waves(settings: Settings, body: dict[str, Any]) -> int:
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        count_waves(app)
        transport = httpx.ASGITransport(app=TrackingMiddleware(app, report_requests=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            response = await client.post("/graphql", json=body)
            if response.status_code != 200 or response.json().get("errors"):
                raise RuntimeError(response.text[:300])
            return int(response.headers["x-dynamodb-waves"])


async def measure(
    args: argparse.Namespace, settings: Settings, customer_id: str, urls: dict[str, str]
) -> dict[str, dict[int, tuple[set[int], set[int], list[float]]]]:
    """Per contender and size: the requests seen, the waves seen, the latencies."""
    sizes = [int(size) for size in args.sizes.split(",")]
    bodies = {size: {"query": SCALING_QUERY, "variables": {"id": customer_id, "first": size}} for size in sizes}
    found: dict[str, dict[int, tuple[set[int], set[int], list[float]]]] = {}
    waves = {size: await service_waves(settings, bodies[size]) for size in sizes}
    async with open_direct(settings) as direct, http_session() as session:

        def over_http(url: str, size: int) -> Ask:
            return lambda: post_graphql(session, url, bodies[size])

        def limit(size: int) -> Ask:
            async def ask() -> Answer:
                data, tally = await tracked(
                    limit_canonical(direct, settings.cursor_secrets[0], customer_id, first=size)
                )
                return Answer({"data": data}, tally.requests, tally.waves)

            return ask

        askers: dict[str, dict[int, Ask]] = {"service": {size: over_http(urls["service"], size) for size in sizes}}
        askers["limit"] = {size: limit(size) for size in sizes}
        if "naive" in urls:
            askers["naive"] = {size: over_http(urls["naive"], size) for size in sizes}
        for name, by_size in askers.items():
            found[name] = {size: (set(), set(), []) for size in sizes}
            for ask in by_size.values():
                await sequential(ask, args.warmup, max_seconds=30)
        for round_number in range(args.rounds):
            order = sizes if round_number % 2 == 0 else sizes[::-1]
            for size in order:
                for name, by_size in askers.items():
                    latencies, answers = await sequential(
                        by_size[size], max(1, args.requests // args.rounds), args.max_seconds
                    )
                    requests, seen_waves, all_latencies = found[name][size]
                    requests.update(answer.requests for answer in answers)
                    seen_waves.update(answer.waves for answer in answers if answer.waves is not None)
                    all_latencies += latencies
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)
    for size in sizes:
        found["service"][size][1].add(waves[size])
    return found


def span(values: set[int]) -> str:
    if not values:
        return "-"
    return str(min(values)) if len(values) == 1 else f"{min(values)}-{max(values)}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="10,20,40,80,100", help="page sizes (first), at most 100")
    parser.add_argument("--requests", type=int, default=60, help="sequential answers per size and contender")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time bound of every single measure")
    parser.add_argument("--no-naive", action="store_true", help="leave the naive peer out")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    data = build_bench_data(scaling_orders=ORDERS)
    assert data.scaling is not None
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        # for the in-process wave count
        settings = settings.replace(
            graphql_max_estimated_items=ESTIMATED_ITEMS, graphql_max_requests=ESTIMATED_REQUESTS
        )
        with environment(
            GRAPHQL_MAX_ESTIMATED_ITEMS=str(ESTIMATED_ITEMS), GRAPHQL_MAX_REQUESTS=str(ESTIMATED_REQUESTS)
        ):
            urls = {"service": stack.enter_context(service_process(settings, log_name="bench-scaling-service.log"))}
        if not args.no_naive:
            urls["naive"] = stack.enter_context(bench_server("bench.naive:app_from_env", settings, "bench-naive.log"))
        found = asyncio.run(measure(args, settings, data.scaling.customer_id, urls))

    sizes = [int(size) for size in args.sizes.split(",")]
    names = list(found)
    header = ["first", "lines", "expected", *(f"{name} requests" for name in names), "service waves"]
    header += [f"{name} p50 ms" for name in names] + ["service p50 per order ms"]
    rows = []
    for size in sizes:
        service = found["service"][size]
        row = [str(size), str(3 * size), str(expected_requests(size))]
        row += [span(found[name][size][0]) for name in names]
        row += [span(service[1])]
        row += [f"{percentile(found[name][size][2], 0.5) * 1000:.1f}" for name in names]
        row += [f"{percentile(service[2], 0.5) * 1000 / size:.2f}"]
        rows.append(row)
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    print(f"scaling: customer with {ORDERS} orders x 3 lines (300 distinct products), DynamoDB Local")
    for row in [header, *rows]:
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
    print("\nMarkdown:\n")
    print("| " + " | ".join(header) + " |")
    print("|" + "|".join("---" for _ in header) + "|")
    for row in rows:
        print("| " + " | ".join(row) + " |")
    ok = all(found["service"][size][0] == {expected_requests(size)} for size in sizes)
    print(f"\nservice requests {'match' if ok else 'DO NOT match'} 2 + 2 x ceil(3n/100) at every size")
    print(f"(total {time.perf_counter() - started:.0f}s)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
