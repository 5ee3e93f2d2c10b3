"""The service against the physical limit and a naive peer, side by side, on DynamoDB Local.

    .venv/bin/python -m bench.run [--requests 150] [--throughput-requests 150] [--rounds 3] [--concurrency 16]
        [--questions canonical,...] [--service-patches caches,...]... [--dynamodb-latency-ms 5] [--uvloop]
        [--plot docs/bench/bench.png | --no-plot] [--lambda ROUNDS]

Starts DynamoDB Local, loads a fixed data set (the tests' plus 100 `bench` products and a buyer),
and starts four servers under uvicorn, each in its own process, on the same tables: the service
(tests.backends.service_process, compiled plans on: after the warm-up every query runs through its
plan), the same with GRAPHQL_COMPILED_PLANS=false in its environment ("service, generic":
Strawberry's executor on every request), the naive peer (bench.naive) and the raw Starlette
handler (bench.raw). The limit (bench.limit) runs in this process. Then, for every question of
bench.questions (canonical query, catalog page, 100 products by id, placeOrder without and with an
idempotency key) it measures each contender, interleaving them round by round (and rotating who
goes first) so that noise hits all alike:

- DynamoDB requests per answer (the service's `X-DynamoDB-Requests`; the peers' own counters),
- sequential waves (the service's counted in this process by wrapping its Dynamo client),
- p50 and p99 latency of answers asked one after the other,
- answers per second with `--concurrency` clients.

Before measuring, it checks that every contender answers exactly the service's JSON, then warms
every contender up with at least two answers per question (a plan is made after a document's first
successful run, so the service measured is the compiled path). It prints a table and the ratios the
goals are stated in, then the same as markdown (with the date and the core count) for
docs/performance.md, and draws the latency distributions and the throughput per contender
(bench.plot) to `--plot`. Trust the ratios more than the absolute times: everything, DynamoDB Local
included, shares this machine's cores.

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
from contextlib import AbstractContextManager, ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import httpx

from bench import conditional_get, lambda_start, patches
from bench.budgets import BUDGETS
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
from bench.plot import write_plot
from bench.questions import Question, questions
from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.backends import ROOT, service_process

SERVICE, GENERIC = "service", "service, generic"
"""The service with compiled plans (the default), and with GRAPHQL_COMPILED_PLANS=false."""
LIMIT, OVERLAP, NAIVE, RAW = "limit", "limit, overlapped", "naive", "raw"
PEERS = (RAW, LIMIT, OVERLAP, NAIVE)
PLANS_ENV = "GRAPHQL_COMPILED_PLANS"
DEFAULT_PLOT = ROOT / "docs" / "bench" / "bench.png"


def variant(patch_names: str) -> str:
    """The contender name of the service with proposed fixes (bench.patches)."""
    return f"service+{patch_names}"


# Goals (issues 15 and 26), as ratios measured in one run, every server one process: the canonical query's
# throughput at least, and its p50 at most, these multiples of the raw handler's, per service path.
VS_RAW = {GENERIC: (0.9, 1.15), SERVICE: (1.0, 1.0)}
PATH_OF = {SERVICE: "compiled", GENERIC: "generic"}
NAIVE_VS_SERVICE_P50 = 2.5
"""The naive peer's canonical p50 at least this multiple of each service path's."""


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


async def service_waves(
    settings: Settings, asked: list[Question], rng: random.Random
) -> tuple[dict[str, dict[str, tuple[int, int]]], list[str]]:
    """(requests, waves) of the service per path and question, in this process: its own app, its Dynamo wrapped.

    Each question is asked twice with plans on: the first answer is the generic path's (a plan is
    made after it), the second the plan's. Also returns the questions a plan was made for.
    """
    # The limiter off: its charge runs beside a query, and its call would be counted among the query's waves.
    app = create_app(settings.replace(graphql_compiled_plans=True, rate_limit_enabled=False))
    found: dict[str, dict[str, tuple[int, int]]] = {GENERIC: {}, SERVICE: {}}
    planned = []
    async with app.router.lifespan_context(app):
        count_waves(app)
        plans = app.state.schema.plans
        transport = httpx.ASGITransport(app=TrackingMiddleware(app, report_requests=False))
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:
            for question in asked:
                before = plans.count
                for path in (GENERIC, SERVICE):
                    response = await client.post("/graphql", json=question.body(rng))
                    if response.status_code != 200 or response.json().get("errors"):
                        raise RuntimeError(f"{question.name}: {response.text[:300]}")
                    found[path][question.name] = (
                        int(response.headers["x-dynamodb-requests"]),
                        int(response.headers["x-dynamodb-waves"]),
                    )
                if plans.count > before:
                    planned.append(question.name)
    return found, planned


def _answer(body: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in body.items() if key != "extensions"}


def check_same_answers(question: Question, answers: dict[str, Answer]) -> None:
    """Every contender answers the service's JSON (placeOrder: the same shape, a new order each)."""
    expected = answers[SERVICE].body
    for name, answer in answers.items():
        if question.writes:
            same = set(answer.body["data"]["placeOrder"]) == set(expected["data"]["placeOrder"])
        else:  # the service's extensions.cost is its own bookkeeping, which the peers do not keep
            same = _answer(answer.body) == _answer(expected)
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
    in_process, planned = await service_waves(settings, asked, rng)
    log(f"service in-process (requests, waves): {in_process}; plans made for: {', '.join(planned) or 'none'}")
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
            # Warm-up: connections, caches, DynamoDB Local's JIT, and the service's plans (made after a
            # document's first successful run: at least two answers each, so the plan has run before measuring).
            for name, ask in table[question.name].items():
                await sequential(ask, max(2, args.warmup), max_seconds=30)
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
    for path, counted in in_process.items():
        for name, (requests, waves) in counted.items():
            cell = results[name][path]
            cell.waves = {waves}
            if {requests} != cell.requests:
                log(f"note: {name} in-process ({path}) made {requests} requests, over HTTP {cell.requests}")
    return results


@dataclass
class Verdict:
    goal: str
    measured: str
    met: bool


def service_names(cells: dict[str, Cell]) -> list[str]:
    return [name for name in cells if name.startswith(SERVICE)]


def ordered(cells: dict[str, Cell]) -> list[str]:
    """The service contenders first (compiled, generic, patched variants), then the peers."""
    return service_names(cells) + [name for name in PEERS if name in cells]


def ratios(results: Results) -> tuple[list[list[str]], list[Verdict]]:
    rows = []
    verdicts = []
    for question, cells in results.items():
        limit, naive, raw = cells[LIMIT], cells[NAIVE], cells.get(RAW)
        for name in service_names(cells):
            service = cells[name]
            vs_limit = service.p50 / limit.p50
            vs_naive = naive.p50 / service.p50
            rate_vs_raw = service.rate / raw.rate if raw is not None else None
            p50_vs_raw = service.p50 / raw.p50 if raw is not None else None
            same_requests = service.requests == limit.requests
            rows.append(
                [
                    question,
                    name,
                    f"{vs_limit:.2f}x",
                    f"{p50_vs_raw:.2f}x" if p50_vs_raw is not None else "-",
                    f"{rate_vs_raw:.2f}x" if rate_vs_raw is not None else "-",
                    f"{vs_naive:.1f}x",
                    "yes" if same_requests else f"no ({span(service.requests)} vs {span(limit.requests)})",
                ]
            )
            if name not in PATH_OF:
                continue  # a patched variant: measured, no goal
            path = PATH_OF[name]
            if question == "canonical":
                if rate_vs_raw is not None and p50_vs_raw is not None:
                    least, most = VS_RAW[name]
                    verdicts.append(
                        Verdict(
                            f"canonical, {path}: throughput >= {least:.2f}x the raw handler's",
                            f"{rate_vs_raw:.2f}x",
                            rate_vs_raw >= least,
                        )
                    )
                    verdicts.append(
                        Verdict(
                            f"canonical, {path}: p50 <= {most:.2f}x the raw handler's",
                            f"{p50_vs_raw:.2f}x",
                            p50_vs_raw <= most,
                        )
                    )
                verdicts.append(
                    Verdict(
                        f"canonical, {path}: naive p50 >= {NAIVE_VS_SERVICE_P50}x the service's",
                        f"{vs_naive:.1f}x",
                        vs_naive >= NAIVE_VS_SERVICE_P50,
                    )
                )
            verdicts.append(
                Verdict(
                    f"{question}, {path}: DynamoDB requests equal to the limit's",
                    f"{span(service.requests)} vs {span(limit.requests)}",
                    same_requests,
                )
            )
    return rows, verdicts


def figures(results: Results) -> list[list[str]]:
    rows = []
    for question, cells in results.items():
        for name in ordered(cells):
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
    parser.add_argument(
        "--plot",
        type=Path,
        default=DEFAULT_PLOT,
        help="write the latency distributions and throughput per contender there (PNG; default %(default)s)",
    )
    parser.add_argument("--no-plot", action="store_true", help="draw no plot")
    parser.add_argument(
        "--lambda",
        dest="lambda_rounds",
        type=int,
        default=0,
        metavar="ROUNDS",
        help="also measure Lambda's cold start and warm invocation in this many rounds (bench.lambda_start: builds "
        "the zip in 30 to 70 s, then a fresh process per handler and round: about 15 s a round on 2 busy cores)",
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

        def start_service(log_name: str) -> AbstractContextManager[str]:
            if args.dynamodb_latency_ms:
                return bench_server("bench.patches:app_from_env", settings, log_name)
            return service_process(settings, log_name=log_name)

        # Both paths started alike, in a process each; they read GRAPHQL_COMPILED_PLANS from the
        # environment they inherit (service_process and bench_server pass os.environ on). Plans on
        # for every service but the generic one, whatever this process's environment says.
        stack.enter_context(environment(**{PLANS_ENV: "true"}))
        stack.enter_context(environment(**BUDGETS))  # the limiter charges every request, but never refuses one
        urls = {SERVICE: stack.enter_context(start_service("bench-service.log"))}
        with environment(**{PLANS_ENV: "false"}):
            urls[GENERIC] = stack.enter_context(start_service("bench-service-generic.log"))
        urls |= {
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
        + "; every server one uvicorn process"
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
        "service/raw p50",
        "service/raw throughput",
        "naive/service p50",
        "requests = limit's",
    ]
    rows, verdicts = ratios(results)
    # The service's figures logged first: the measures below start servers of their own, and may fail on their own.
    goals_so_far = [[v.goal, v.measured, "met" if v.met else "NOT met"] for v in verdicts]
    log(f"figures:\n{text_table(figure_header, figures(results))}\n{text_table(ratio_header, rows)}")
    log(f"goals:\n{text_table(['goal', 'measured', ''], goals_so_far)}")
    # A CDN revalidating the catalog page (issue 26): its own DynamoDB Local and two service processes.
    verdicts.append(Verdict(*conditional_get.measure().verdict()))
    if args.lambda_rounds:
        # Lambda (issue 26): the zip in a fresh process against a minimal handler, and warm against serve in-process.
        lambda_table, lambda_verdicts = lambda_start.run(args.lambda_rounds, 60, log)
        log(f"Lambda, medians of {args.lambda_rounds} rounds:\n{lambda_table}")
        verdicts += [Verdict(found.goal, found.measured, found.met) for found in lambda_verdicts]
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
    if not args.no_plot:
        order = list(dict.fromkeys(name for cells in results.values() for name in ordered(cells)))
        written = write_plot(results, args.plot, setting, args.concurrency, order)
        print(f"\nPlot: {written}")
    return 0 if all(v.met for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
