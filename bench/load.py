"""Sustained load on the service: a realistic mix at a fixed concurrency, then the stock invariant.

    .venv/bin/python -m bench.load [--seconds 60] [--concurrency 16] [--mix canonical=5,catalog=4,placeOrder=1]

Starts DynamoDB Local with the benchmark data set and the service under uvicorn (its own
process), then `--concurrency` clients send the mix of bench.questions (canonical queries, catalog
pages, placeOrder with 3 lines over the 100 `bench` products, or the first `--hot-products` of
them for contention) for `--seconds`, or until `--max-requests` answers: whichever comes first.

It prints answers per second, errors (any non-200 or GraphQL error; the goal is zero), and p50/p99
per kind. Afterwards it reads the tables and checks, for every product, that the stock now plus the
units sold by the orders placed during the run equals the stock at the start, and that those
orders are exactly the ones the clients were told were placed. Exit code 1 if anything is off.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from collections import Counter, defaultdict
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from bench.common import (
    BenchData,
    DirectClient,
    GraphQLError,
    build_bench_data,
    http_session,
    loaded_dynamodb_local,
    open_direct,
    percentile,
    post_graphql,
)
from bench.questions import Question, questions
from graphql_api.settings import Settings
from tests.backends import service_process


@dataclass
class Kind:
    latencies: list[float] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)


async def scan(direct: DirectClient, table: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    params: dict[str, Any] = {"TableName": direct.table(table), "ConsistentRead": True}
    for _ in range(10_000):  # bounded: a few pages here
        page = await direct.call("scan", **params)
        items += page.get("Items", [])
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    raise RuntimeError(f"{table}: too many pages")


async def stock_and_lines(settings: Settings) -> tuple[dict[str, int], dict[tuple[str, str], tuple[str, int]]]:
    """Every product's stock, and every order line: (OrderId, ItemId) -> (ProductId, Quantity)."""
    async with open_direct(settings) as direct:
        products = await scan(direct, "Products")
        lines = await scan(direct, "OrderItems")
    stock = {item["ProductId"]["S"]: int(item["Stock"]["N"]) for item in products}
    found = {
        (line["OrderId"]["S"], line["ItemId"]["S"]): (line["ProductId"]["S"], int(line["Quantity"]["N"]))
        for line in lines
    }
    return stock, found


def parse_mix(text: str) -> dict[str, int]:
    mix: dict[str, int] = {}
    for part in text.split(","):
        name, _, weight = part.partition("=")
        mix[name.strip()] = int(weight or 1)
    return mix


async def run_load(
    args: argparse.Namespace, data: BenchData, settings: Settings, url: str
) -> tuple[dict[str, Kind], dict[str, list[tuple[str, int]]], float]:
    """The load; returns per kind its latencies and errors, the lines of every order placed, and the duration."""
    if args.hot_products:
        data.catalog = data.catalog[: args.hot_products]
    by_name = {question.name: question for question in questions(data, settings.cursor_secrets[0])}
    mix = parse_mix(args.mix)
    unknown = set(mix) - set(by_name)
    if unknown:
        raise SystemExit(f"unknown questions in --mix: {', '.join(sorted(unknown))}; known: {', '.join(by_name)}")
    names = list(mix)
    weights = [mix[name] for name in names]
    kinds = {name: Kind() for name in names}
    placed: dict[str, list[tuple[str, int]]] = {}
    remaining = args.max_requests
    async with http_session(args.concurrency) as session:
        started = time.perf_counter()
        deadline = started + args.seconds

        async def client(number: int) -> None:
            nonlocal remaining
            rng = random.Random(number)
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                name = rng.choices(names, weights)[0]
                question: Question = by_name[name]
                body = question.body(rng)
                asked = time.perf_counter()
                try:
                    answer = await post_graphql(session, url, body)
                except (GraphQLError, aiohttp.ClientError, TimeoutError) as error:
                    kinds[name].errors[str(error)[:160]] += 1
                    continue
                kinds[name].latencies.append(time.perf_counter() - asked)
                if question.writes:
                    items = body["variables"]["input"]["items"]
                    order_id = answer.body["data"]["placeOrder"]["orderId"]
                    placed[order_id] = [(item["productId"], item["quantity"]) for item in items]

        await asyncio.gather(*(client(number) for number in range(args.concurrency)))
        return kinds, placed, time.perf_counter() - started


def check_stock(
    before: dict[str, int],
    after: dict[str, int],
    lines_before: dict[tuple[str, str], tuple[str, int]],
    lines_after: dict[tuple[str, str], tuple[str, int]],
    placed: dict[str, list[tuple[str, int]]],
) -> list[str]:
    """What is wrong with the tables after the run (nothing: an empty list)."""
    problems = []
    sold: Counter[str] = Counter()
    new_lines: dict[str, list[tuple[str, int]]] = defaultdict(list)
    for key in sorted(set(lines_after) - set(lines_before)):
        product_id, quantity = lines_after[key]
        sold[product_id] += quantity
        new_lines[key[0]].append((product_id, quantity))
    for product_id, stock in before.items():
        now = after.get(product_id)
        if now is None or now + sold[product_id] != stock:
            problems.append(f"{product_id}: stock {now} + sold {sold[product_id]} != starting stock {stock}")
        if now is not None and now < 0:
            problems.append(f"{product_id}: negative stock {now}")
    if set(new_lines) != set(placed):
        problems.append(
            f"{len(set(new_lines) - set(placed))} orders in the table that no client was told of, "
            f"{len(set(placed) - set(new_lines))} told of but not in the table"
        )
    for order_id, lines in placed.items():
        if order_id in new_lines and sorted(new_lines[order_id]) != sorted(lines):
            problems.append(f"{order_id}: lines {new_lines[order_id]} differ from those asked {lines}")
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0, help="how long the load runs")
    parser.add_argument("--concurrency", type=int, default=16, help="clients, each one request at a time")
    parser.add_argument("--mix", default="canonical=5,catalog=4,placeOrder=1", help="question=weight,...")
    parser.add_argument("--max-requests", type=int, default=200_000, help="stop after this many answers in all")
    parser.add_argument(
        "--hot-products", type=int, default=0, help="order only the first N bench products (contention)"
    )
    args = parser.parse_args(argv)

    data = build_bench_data()
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        url = stack.enter_context(service_process(settings, log_name="bench-load-service.log"))
        stock_before, lines_before = asyncio.run(stock_and_lines(settings))
        print(
            f"load: {args.concurrency} clients, mix {args.mix}, {args.seconds:.0f} s (or {args.max_requests} answers)",
            flush=True,
        )
        kinds, placed, elapsed = asyncio.run(run_load(args, data, settings, url))
        stock_after, lines_after = asyncio.run(stock_and_lines(settings))

    answered = sum(len(kind.latencies) for kind in kinds.values())
    errors = sum(sum(kind.errors.values()) for kind in kinds.values())
    every = [latency for kind in kinds.values() for latency in kind.latencies]
    print(f"\n{answered} answers in {elapsed:.1f} s: {answered / elapsed:.1f} answers/s, {errors} errors")
    print(f"{'kind':<12} {'answers':>8} {'errors':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for name, kind in [*kinds.items(), ("all", Kind(latencies=every))]:
        p50, p99 = percentile(kind.latencies, 0.5) * 1000, percentile(kind.latencies, 0.99) * 1000
        print(f"{name:<12} {len(kind.latencies):>8} {sum(kind.errors.values()):>7} {p50:>8.1f} {p99:>8.1f}")
    for name, kind in kinds.items():
        for message, count in kind.errors.most_common(5):
            print(f"  {name} error x{count}: {message}")

    problems = check_stock(stock_before, stock_after, lines_before, lines_after, placed)
    units = sum(quantity for lines in placed.values() for _, quantity in lines)
    if problems:
        print(f"\nstock check FAILED ({len(problems)} problems):")
        for problem in problems[:20]:
            print(f"  {problem}")
    else:
        print(
            f"\nstock check ok: for all {len(stock_before)} products, stock + units sold = starting stock "
            f"({len(placed)} orders placed, {units} units)"
        )
    return 1 if problems or errors else 0


if __name__ == "__main__":
    sys.exit(main())
