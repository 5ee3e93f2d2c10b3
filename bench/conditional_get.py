"""A CDN's revalidation of a catalog page: a conditional GET answered 304 from the catalog version, against the
same GET run in full, side by side in interleaved rounds on one service process (DynamoDB Local).

    .venv/bin/python -m bench.conditional_get [--rounds 5] [--per-round 400] [--concurrency 16]

The catalog page is bench.questions' (productsByCategory, 50 products), sent as a trusted document by GET as an
anonymous caller. Also measured: how long after a write on a second instance the first one stops answering 304
(the stream's lag: docs/decisions/0008-conditional-get-catalog-version.md). bench.run prints the verdict.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from bench.budgets import BUDGETS
from bench.common import bench_server, build_bench_data, environment, http_session, loaded_dynamodb_local, throughput
from bench.questions import CATALOG_CATEGORY, CATALOG_FIRST, CATALOG_QUERY
from tests.issuer import CLIENT_ID, bearer, shared_issuer

GOAL_RATIO = 5.0
RENAME = "mutation R($input: UpdateProductInput!) { updateProduct(input: $input) { version } }"
READ_VERSION = "query V($id: ID!) { product(productId: $id) { version } }"
DEADLINE = 60.0


@dataclass(frozen=True)
class Figures:
    cached_rate: float
    uncached_rate: float
    cached_requests: set[int]
    uncached_requests: set[int]
    invalidation_lags: list[float]

    @property
    def ratio(self) -> float:
        return self.cached_rate / self.uncached_rate

    @property
    def met(self) -> bool:
        return self.cached_requests == {0} and self.ratio >= GOAL_RATIO

    def verdict(self) -> tuple[str, str, bool]:
        """bench.run's verdict row: the goal, what was measured, whether it is met."""
        goal = f"conditional GET of a cached catalog page: 0 DynamoDB requests, >= {GOAL_RATIO:g}x uncached throughput"
        measured = (
            f"{self.ratio:.1f}x ({self.cached_rate:.0f} vs {self.uncached_rate:.0f} answers/s); DynamoDB requests "
            f"{sorted(self.cached_requests)} vs {sorted(self.uncached_requests)}"
        )
        return goal, measured, self.met


class _Catalog:
    """The catalog page as a GET of its trusted document, with or without the ETag a CDN holds."""

    def __init__(self, session: aiohttp.ClientSession, url: str, document_id: str) -> None:
        variables = json.dumps({"category": CATALOG_CATEGORY, "first": CATALOG_FIRST})
        self.session, self.url = session, url
        self.params = {"documentId": document_id, "variables": variables}
        self.requests: dict[bool, set[int]] = {True: set(), False: set()}

    async def get(self, etag: str | None = None) -> tuple[int, str, int]:
        headers = {"accept": "application/json", **({"if-none-match": etag} if etag else {})}
        async with self.session.get(self.url, params=self.params, headers=headers) as response:
            body = await response.read()
            if response.status not in (200, 304):  # a refusal answers fast: it must not count as an answer
                raise RuntimeError(f"the catalog page answered {response.status}: {body[:300]!r}")
            requests = int(response.headers["x-dynamodb-requests"])
            self.requests[etag is not None].add(requests)
            return response.status, response.headers.get("etag", ""), requests

    async def cached_etag(self) -> str:
        """The page's ETag once the service answers it with a 304 costing nothing (its stream readers caught up)."""
        deadline = time.monotonic() + DEADLINE
        while True:
            _, etag, _ = await self.get()
            status, _, requests = await self.get(etag)
            if status == 304 and requests == 0:
                self.requests[True].clear()
                return etag
            if time.monotonic() > deadline:
                raise RuntimeError("the service never answered a conditional GET without running it")
            await asyncio.sleep(0.1)


async def _data(answer: aiohttp.ClientResponse, what: str) -> dict[str, Any]:
    """The answer's `data`; else an error that says what the service answered (status and body)."""
    text = await answer.text()
    try:
        body = json.loads(text)
    except ValueError:
        body = None
    if answer.status != 200 or not isinstance(body, dict) or not body.get("data") or body.get("errors"):
        raise RuntimeError(f"{what}: the service answered {answer.status}: {text[:300]}")
    data: dict[str, Any] = body["data"]
    return data


async def _lag(catalog: _Catalog, write: Callable[[], Awaitable[None]]) -> float:
    """Seconds from a write's answer (on another instance) to the first 200 of this one's conditional GET."""
    etag = await catalog.cached_etag()
    await write()
    written = time.perf_counter()
    deadline = time.monotonic() + DEADLINE
    while (await catalog.get(etag))[0] == 304:
        if time.monotonic() > deadline:
            raise RuntimeError("another instance's write never ended the 304s")
        await asyncio.sleep(0.005)
    return time.perf_counter() - written


async def compare(url: str, other_url: str, document_id: str, rounds: int, per_round: int, concurrency: int) -> Figures:
    admin = bearer(shared_issuer().token("bench-admin", ("admin",)))
    async with http_session(concurrency) as session:
        catalog = _Catalog(session, url, document_id)
        etag = await catalog.cached_etag()
        rates: dict[bool, list[float]] = {True: [], False: []}
        for number in range(rounds):
            for cached in (number % 2 == 0, number % 2 == 1):  # who goes first alternates

                async def ask(cached: bool = cached) -> None:
                    await catalog.get(etag if cached else None)

                rates[cached].append(await throughput(ask, per_round, concurrency, 60.0))  # type: ignore[arg-type]

        measured = {cached: set(requests) for cached, requests in catalog.requests.items()}  # before any write
        async with session.get(url, params=catalog.params, headers={"accept": "application/json"}) as page:
            product_id = (await _data(page, "the catalog page"))["productsByCategory"]["edges"][0]["node"]["productId"]

        async def rename() -> None:  # a product on the page: its bytes change
            read = {"query": READ_VERSION, "variables": {"id": product_id}}
            async with session.post(other_url, json=read, headers=admin) as answer:
                version = (await _data(answer, "the product's version"))["product"]["version"]
            change = {"productId": product_id, "expectedVersion": version, "name": f"Bench {time.time()}"}
            body = {"query": RENAME, "variables": {"input": change}}
            async with session.post(other_url, json=body, headers=admin) as answer:
                await _data(answer, "the rename")

        lags = [await _lag(catalog, rename) for _ in range(5)]
    return Figures(
        cached_rate=statistics.median(rates[True]),
        uncached_rate=statistics.median(rates[False]),
        cached_requests=measured[True],
        uncached_requests=measured[False],
        invalidation_lags=lags,
    )


def measure(rounds: int = 5, per_round: int = 400, concurrency: int = 16) -> Figures:
    """Its own DynamoDB Local and two service processes (an issuer, so that a caller without a token is anonymous)."""
    data = build_bench_data()
    issuer = shared_issuer()
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        settings = settings.replace(auth_issuer=issuer.url, auth_audience=(CLIENT_ID,))
        manifest = Path(stack.enter_context(tempfile.TemporaryDirectory())) / "persisted-documents.json"
        document_id = hashlib.sha256(CATALOG_QUERY.encode()).hexdigest()
        manifest.write_text(json.dumps({f"sha256:{document_id}": CATALOG_QUERY}))
        stack.enter_context(environment(GRAPHQL_TRUSTED_DOCUMENTS=str(manifest), **BUDGETS))
        url = stack.enter_context(bench_server("graphql_api.app:app_from_env", settings, "bench-cdn.log"))
        other = stack.enter_context(bench_server("graphql_api.app:app_from_env", settings, "bench-cdn-other.log"))
        return asyncio.run(compare(url, other, document_id, rounds, per_round, concurrency))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    figures = measure(args.rounds, args.per_round, args.concurrency)
    goal, measured, met = figures.verdict()
    lags = sorted(figures.invalidation_lags)
    print(f"{goal}: {measured} -> {'met' if met else 'NOT met'}")
    print(f"another instance's write to this one's first 200: {', '.join(f'{lag * 1000:.0f} ms' for lag in lags)}")


if __name__ == "__main__":
    main()
