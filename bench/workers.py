"""One worker against two (`serve --workers`), side by side in one run, on the canonical query.

DynamoDB Local holds the bench data; `graphql-api serve` runs twice on it, with 1 and with 2 worker
processes (AUTH_MODE=none, as the other benchmarks). Rounds alternate between the two; each round sends
`--per-round` canonical queries from 16 concurrent clients and counts answers per second.

    .venv/bin/python -m bench.workers [--rounds 6] [--per-round 400]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

from bench.common import Ask, build_bench_data, http_session, loaded_dynamodb_local, post_graphql, throughput
from graphql_api.cli import EXAMPLE_QUERY
from graphql_api.local.embedded import free_port
from graphql_api.settings import Settings
from tests.backends import ROOT, wait_for_port


@contextmanager
def serve(settings: Settings, workers: int) -> Iterator[str]:
    port = free_port()
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "CURSOR_SECRET": settings.cursor_secrets[0],
        "AUTH_MODE": "none",
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "graphql_api.cli", "serve", "--workers", str(workers), "--port", str(port)]
    with open(ROOT / "test-artifacts" / f"bench-workers-{workers}.log", "ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
        try:
            wait_for_port("127.0.0.1", port, process)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            process.terminate()
            process.wait(timeout=30)


async def measure(urls: dict[int, str], customer_id: str, rounds: int, per_round: int) -> dict[int, list[float]]:
    rates: dict[int, list[float]] = {workers: [] for workers in urls}
    body = {"query": EXAMPLE_QUERY, "variables": {"id": customer_id}}
    async with http_session(16) as session:

        def asker(url: str) -> Ask:
            return lambda: post_graphql(session, url, body)

        for url in urls.values():  # warm-up
            await throughput(asker(url), 64, 16, 30)
        for number in range(rounds):
            order = list(urls) if number % 2 == 0 else list(reversed(urls))
            for workers in order:
                rates[workers].append(await throughput(asker(urls[workers]), per_round, 16, 60))
    return rates


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--per-round", type=int, default=400)
    args = parser.parse_args()
    data = build_bench_data()
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        urls = {workers: stack.enter_context(serve(settings, workers)) for workers in (1, 2)}
        rates = asyncio.run(measure(urls, data.canonical.customer_id, args.rounds, args.per_round))
    one, two = statistics.median(rates[1]), statistics.median(rates[2])
    print(f"canonical query, 16 clients, {args.rounds} rounds of {args.per_round}, median answers/s:")
    print(f"  1 worker : {one:.0f}   (rounds: {', '.join(f'{r:.0f}' for r in rates[1])})")
    print(f"  2 workers: {two:.0f}   (rounds: {', '.join(f'{r:.0f}' for r in rates[2])})")
    print(f"  2/1: {two / one:.2f}x (2 cores shared with DynamoDB Local and this client)")


if __name__ == "__main__":
    main()
