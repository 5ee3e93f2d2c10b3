"""The service against the physical limit and a naive peer, side by side, on DynamoDB Local.

    .venv/bin/python -m bench.run [--requests 150] [--throughput-requests 150] [--rounds 3] [--concurrency 16]
        [--questions canonical,...] [--service-patches caches,...]... [--dynamodb-latency-ms 5] [--uvloop]

Starts DynamoDB Local, loads a fixed data set (the tests' plus 100 `bench` products and a buyer),
and starts three servers under uvicorn, each in its own process, on the same tables: the service
(tests.backends.service_process), the naive peer (bench.naive) and the raw Starlette handler
(bench.raw). The limit (bench.limit) runs in this process. Then, for every question of
bench.questions (canonical query, catalog page, 100 products by id, placeOrder without and with an
idempotency key) it measures each contender, interleaving them round by round (and rotating who
goes first) so that noise hits all alike:

- DynamoDB requests per answer (the service's `X-DynamoDB-Requests`; the peers' own counters),
- sequential waves (the service's counted in this process by wrapping its Dynamo client),
- p50 and p99 latency of answers asked one after the other,
- answers per second with `--concurrency` clients.

Before measuring, it checks that every contender answers exactly the service's JSON. It prints a
table and the ratios the goals are stated in, then the same as markdown (with the date and the
core count) for docs/performance.md. Trust the ratios more than the absolute times: everything,
DynamoDB Local included, shares this machine's cores.

`--service-patches` adds the service with proposed fixes (bench.patches) as further contenders,
each in a process of its own, so a fix's effect is measured in the same run as the service as it
is. `--dynamodb-latency-ms` makes every contender wait before each DynamoDB request, a stand-in for
the network to a real DynamoDB (DynamoDB Local on loopback answers in well under a millisecond, so
without it CPU decides everything). The exit code is 0 when every goal is met, else 1.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import importlib
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import httpx

from bench import patches
from bench.common import (
    ADDED_LATENCY_ENV,
    Answer,
    Ask,
    BenchData,
    DirectClient,
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
    throughput,
    tracked,
)
from bench.limit import canonical as limit_canonical
from bench.questions import Question, questions
from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.backends import service_process

SERVICE, LIMIT, OVERLAP, NAIVE, RAW = "service", "limit", "limit, overlapped", "naive", "raw"
PEERS = (LIMIT, OVERLAP, NAIVE, RAW)


def variant(patch_names: str) -> str:
    """The contender name of the service with proposed fixes (bench.patches)."""
    return f"service+{patch_names}"


# Goals, as ratios measured in one run.
CANONICAL_P50_VS_LIMIT = 1.3
NAIVE_VS_SERVICE_P50 = 5.0
THROUGHPUT_VS_RAW = 0.7


@dataclass
class Cell:
    """What one contender measured on one question."""

    latencies: list[float] = field(default_factory=list)
    rates: list[float] = field(default_factory=list)
    requests: set[int] = field(default_factory=set)
    waves: set[int] = field(default_factory=set)

    def add(self, latencies: list[float], answers: list[Answer]) -> None:
        self.latencies += latencies
        self.requests.update(answer.requests for answer in answers)
        self.waves.update(answer.waves for answer in answers if answer.waves is not None)

    @property
    def p50(self) -> float:
        return percentile(self.latencies, 0.5) * 1000

    @property
    def p99(self) -> float:
        return percentile(self.latencies, 0.99) * 1000

    @property
    def rate(self) -> float:
        return statistics.median(self.rates) if self.rates else float("nan")


Results = dict[str, dict[str, Cell]]


def span(values: set[int]) -> str:
    if not values:
        return "-"
    return str(min(values)) if len(values) == 1 else f"{min(values)}-{max(values)}"


def askers(
    question: Question,
    urls: dict[str, str],
    session: aiohttp.ClientSession,
    direct: DirectClient,
    secret: str,
    customer_id: str,
    rng: random.Random,
) -> dict[str, Ask]:
    """How each contender answers this question (the raw handler and the overlapped limit: canonical only)."""

    def over_http(url: str) -> Ask:
        return lambda: post_graphql(session, url, question.body(rng))

    def in_process(work: Callable[[], Any]) -> Ask:
        async def ask() -> Answer:
            data, tally = await tracked(work())
            return Answer({"data": data}, tally.requests, tally.waves)

        return ask

    found: dict[str, Ask] = {name: over_http(url) for name, url in urls.items() if name.startswith(SERVICE)}
    found[LIMIT] = in_process(lambda: question.limit(direct, rng))
    found[NAIVE] = over_http(urls[NAIVE])
    if question.name == "canonical":
        found[OVERLAP] = in_process(lambda: limit_canonical(direct, secret, customer_id, overlap=True))
        found[RAW] = over_http(urls[RAW])
    return found


async def service_waves(settings: Settings, asked: list[Question], rng: random.Random) -> dict[str, tuple[int, int]]:
    """(requests, waves) of the service per question, in this process: its own app, its Dynamo wrapped to count."""
    app = create_app(settings)
    found: dict[str, tuple[int, int]] = {}
    async with app.router.lifespan_context(app):
        count_waves(app)
        transport = httpx.ASGITransport(app=TrackingMiddleware(app, report_requests=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            for question in asked:
                response = await client.post("/graphql", json=question.body(rng))
                if response.status_code != 200 or response.json().get("errors"):
                    raise RuntimeError(f"{question.name}: {response.text[:300]}")
                found[question.name] = (
                    int(response.headers["x-dynamodb-requests"]),
                    int(response.headers["x-dynamodb-waves"]),
                )
    return found


def check_same_answers(question: Question, answers: dict[str, Answer]) -> None:
    """Every contender answers the service's JSON (placeOrder: the same shape, a new order each)."""
    expected = answers[SERVICE].body
    for name, answer in answers.items():
        if question.writes:
            same = set(answer.body["data"]["placeOrder"]) == set(expected["data"]["placeOrder"])
        else:
            same = answer.body == expected
        if not same:
            raise SystemExit(
                f"{question.name}: {name} answers differently from the service:\n{answer.body}\n{expected}"
            )


async def measure(
    args: argparse.Namespace, data: BenchData, settings: Settings, urls: dict[str, str], log: Callable[[str], None]
) -> Results:
    rng = random.Random(7)
    asked = [question for question in questions(data, settings.cursor_secrets[0]) if question.name in args.questions]
    results: Results = {question.name: {} for question in asked}
    in_process = await service_waves(settings, asked, rng)
    log(f"service in-process (requests, waves): {in_process}")
    async with open_direct(settings) as direct, http_session(args.concurrency) as session:
        table = {
            question.name: askers(
                question, urls, session, direct, settings.cursor_secrets[0], data.canonical.customer_id, rng
            )
            for question in asked
        }
        for question in asked:
            first = {name: await ask() for name, ask in table[question.name].items()}
            check_same_answers(question, first)
            for name, ask in table[question.name].items():  # warm-up: connections, caches, DynamoDB Local's JIT
                await sequential(ask, args.warmup, max_seconds=30)
                results[question.name][name] = Cell()
        log("same answers from every contender; warmed up")
        per_round = max(1, args.requests // args.rounds)
        for round_number in range(args.rounds):
            for question in asked:
                contenders = list(table[question.name].items())
                shift = round_number % len(contenders)
                for name, ask in contenders[shift:] + contenders[:shift]:
                    cell = results[question.name][name]
                    latencies, answers = await sequential(ask, per_round, max_seconds=args.max_seconds)
                    cell.add(latencies, answers)
                    rate = await throughput(ask, args.throughput_requests, args.concurrency, args.max_seconds)
                    cell.rates.append(rate)
            log(f"round {round_number + 1}/{args.rounds} done")
    for name, (requests, waves) in in_process.items():
        results[name][SERVICE].waves = {waves}
        if {requests} != results[name][SERVICE].requests:
            log(f"note: {name} in-process made {requests} requests, over HTTP {results[name][SERVICE].requests}")
    return results


@dataclass
class Verdict:
    goal: str
    measured: str
    met: bool


def ratios(results: Results) -> tuple[list[list[str]], list[Verdict]]:
    rows = []
    verdicts = []
    for question, cells in results.items():
        limit, naive = cells[LIMIT], cells[NAIVE]
        for name in [name for name in cells if name.startswith(SERVICE)]:
            service = cells[name]
            vs_limit = service.p50 / limit.p50
            vs_naive = naive.p50 / service.p50
            vs_raw = service.rate / cells[RAW].rate if RAW in cells else None
            same_requests = service.requests == limit.requests
            rows.append(
                [
                    question,
                    name,
                    f"{vs_limit:.2f}x",
                    f"{vs_naive:.1f}x",
                    f"{vs_raw:.2f}x" if vs_raw is not None else "-",
                    "yes" if same_requests else f"no ({span(service.requests)} vs {span(limit.requests)})",
                ]
            )
            if name != SERVICE:
                continue
            if question == "canonical":
                verdicts.append(
                    Verdict(
                        f"canonical p50 within {CANONICAL_P50_VS_LIMIT}x of the limit",
                        f"{vs_limit:.2f}x",
                        vs_limit <= CANONICAL_P50_VS_LIMIT,
                    )
                )
                verdicts.append(
                    Verdict(
                        f"canonical p50 >= {NAIVE_VS_SERVICE_P50:.0f}x faster than naive",
                        f"{vs_naive:.1f}x",
                        vs_naive >= NAIVE_VS_SERVICE_P50,
                    )
                )
                if vs_raw is not None:
                    verdicts.append(
                        Verdict(
                            f"canonical throughput >= {THROUGHPUT_VS_RAW}x the raw handler's",
                            f"{vs_raw:.2f}x",
                            vs_raw >= THROUGHPUT_VS_RAW,
                        )
                    )
            verdicts.append(
                Verdict(
                    f"{question}: DynamoDB requests equal to the limit's",
                    f"{span(service.requests)} vs {span(limit.requests)}",
                    same_requests,
                )
            )
    return rows, verdicts


def figures(results: Results) -> list[list[str]]:
    rows = []
    for question, cells in results.items():
        names = [name for name in cells if name.startswith(SERVICE)] + [name for name in PEERS if name in cells]
        for name in names:
            cell = cells[name]
            rows.append(
                [
                    question,
                    name,
                    span(cell.requests),
                    span(cell.waves),
                    f"{cell.p50:.1f}",
                    f"{cell.p99:.1f}",
                    f"{cell.rate:.0f}",
                ]
            )
    return rows


def text_table(header: list[str], rows: list[list[str]]) -> str:
    """Columns padded; the first two (names) left-aligned, the figures right-aligned."""
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        cells = zip(row, widths, strict=True)
        return "  ".join(cell.ljust(width) if i < 2 else cell.rjust(width) for i, (cell, width) in enumerate(cells))

    return "\n".join(line(row) for row in [header, *rows])


def markdown_table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=150, help="sequential answers per question and contender")
    parser.add_argument(
        "--throughput-requests", type=int, default=150, help="answers per throughput measure (one per round)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--concurrency", type=int, default=16, help="clients of the throughput measure")
    parser.add_argument("--warmup", type=int, default=20, help="sequential answers before measuring")
    parser.add_argument("--max-seconds", type=float, default=60.0, help="time bound of every single measure")
    parser.add_argument(
        "--questions",
        default="canonical,catalog,products,placeOrder,placeOrderKeyed",
        help="which questions (comma-separated)",
    )
    parser.add_argument(
        "--service-patches",
        action="append",
        default=[],
        metavar="PATCH[,PATCH...]",
        help="also measure the service with these proposed fixes, in a process of its own; repeat for several "
        f"variants (bench.patches: {', '.join(patches.PATCHES)})",
    )
    parser.add_argument(
        "--uvloop",
        action="store_true",
        help="run this driver (and so the limit) on uvloop; the servers use uvloop and httptools when they are "
        "installed (uvicorn --loop auto --http auto), so install uvicorn[standard] first",
    )
    parser.add_argument(
        "--dynamodb-latency-ms",
        type=float,
        default=0.0,
        help="add this many ms before every DynamoDB request of every contender: a stand-in for the network "
        "round trip to a real DynamoDB (DynamoDB Local answers in well under a millisecond)",
    )
    args = parser.parse_args(argv)
    args.questions = [name.strip() for name in args.questions.split(",")]

    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    load_at_start = os.getloadavg()[0]
    data = build_bench_data()
    with ExitStack() as stack:
        settings = stack.enter_context(loaded_dynamodb_local(data.dataset))
        log(f"DynamoDB Local at {settings.dynamodb_endpoint_url}, data loaded")
        if args.dynamodb_latency_ms:
            # Every contender waits this long before each DynamoDB request; the service then runs
            # through bench.patches (no patch) to get the wait, the others read it from the environment.
            stack.enter_context(environment(**{ADDED_LATENCY_ENV: str(args.dynamodb_latency_ms)}))
            service = bench_server("bench.patches:app_from_env", settings, "bench-service.log")
        else:
            service = service_process(settings, log_name="bench-service.log")
        urls = {
            SERVICE: stack.enter_context(service),
            NAIVE: stack.enter_context(bench_server("bench.naive:app_from_env", settings, "bench-naive.log")),
            RAW: stack.enter_context(bench_server("bench.raw:app_from_env", settings, "bench-raw.log")),
        }
        for names in args.service_patches:
            patches.parse(names)  # fail fast on an unknown name
            with environment(**{patches.PATCHES_ENV: names}):
                urls[variant(names)] = stack.enter_context(
                    bench_server("bench.patches:app_from_env", settings, f"bench-service+{names}.log")
                )
        log(f"servers up: {urls}")
        if args.uvloop:
            loop_factory = importlib.import_module("uvloop").new_event_loop
            with asyncio.Runner(loop_factory=loop_factory) as runner:
                results = runner.run(measure(args, data, settings, urls, log))
        else:
            results = asyncio.run(measure(args, data, settings, urls, log))
        load_at_end = os.getloadavg()[0]

    today = datetime.date.today().isoformat()
    cores = os.cpu_count()
    setting = (
        f"DynamoDB Local, {cores} cores ({platform.machine()}, Python {platform.python_version()}), {today}; "
        f"{args.rounds} interleaved rounds, {args.requests} sequential answers per cell, "
        f"throughput: {args.throughput_requests} answers x {args.rounds} at {args.concurrency} clients (median); "
        f"load average {load_at_start:.1f} before, {load_at_end:.1f} after"
        + ("; driver and limit on uvloop" if args.uvloop else "")
        + (f"; {args.dynamodb_latency_ms:g} ms added to every DynamoDB request" if args.dynamodb_latency_ms else "")
    )
    figure_header = [
        "question",
        "contender",
        "DynamoDB requests",
        "waves",
        "p50 ms",
        "p99 ms",
        f"answers/s @{args.concurrency}",
    ]
    ratio_header = [
        "question",
        "service",
        "service/limit p50",
        "naive/service p50",
        "service/raw throughput",
        "requests = limit's",
    ]
    rows, verdicts = ratios(results)
    goal_rows = [[v.goal, v.measured, "met" if v.met else "NOT met"] for v in verdicts]
    print(setting)
    print()
    print(text_table(figure_header, figures(results)))
    print()
    print(text_table(ratio_header, rows))
    print()
    print(text_table(["goal", "measured", ""], goal_rows))
    print(f"\n(total {time.perf_counter() - started:.0f}s)\n")
    print("Markdown:\n")
    print(f"Measured {setting}.\n")
    print(markdown_table(figure_header, figures(results)))
    print()
    print(markdown_table(ratio_header, rows))
    print()
    print(markdown_table(["goal", "measured", "result"], goal_rows))
    return 0 if all(v.met for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
