"""Where the service's time goes: CPU per answer, in-process, with and without the proposed fixes.

    .venv/bin/python -m bench.profile [--question canonical] [--answers 200] [--rounds 3]
        [--variants "none;caches;fromisoformat;no-param-validation;dynamodb_fast_parser=false;caches,fromisoformat"]
    .venv/bin/python -m bench.profile --question canonical --pyinstrument [--patches caches]

Starts DynamoDB Local with the benchmark data, then, for each variant (a set of bench.patches and
settings, `none` for the service as it is; `name=value` sets a setting, such as
`dynamodb_fast_parser=false`), a fresh process that runs the service app in-process (its lifespan,
an ASGI client, no HTTP server, AUTH_MODE=none) and answers the question `--answers` times in a row
about the data the parent loaded (passed to it pickled: the canonical customer's id is not the same
in every process). It reports the process CPU time per answer (service and in-process client: the
HTTP server and DynamoDB Local are not in it) and the p50 latency. Variants take turns, round by
round, so that noise hits all alike; the median round is printed.

With `--pyinstrument` (pip install pyinstrument) it instead prints a pyinstrument profile of one
variant (`--patches`), the call tree by wall time of the answers.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import pickle
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from bench import patches
from bench.common import BenchData, build_bench_data, loaded_dynamodb_local, percentile
from bench.questions import questions
from graphql_api.settings import Settings

DEFAULT_VARIANTS = "none;caches;fromisoformat;no-param-validation;dynamodb_fast_parser=false;all"


SOURCE = "source"
"""`source=DIR` in a variant: that checkout's code (a `git worktree` of an earlier commit): before/after in one run."""


def split_variant(variant: str) -> tuple[str, dict[str, str]]:
    """(the bench.patches names, comma-separated; the settings it sets) of a variant (its `source=` left out)."""
    items = [item.strip() for item in variant.split(",") if item.strip() and item.strip() != "none"]
    names = ",".join(item for item in items if "=" not in item)
    changes = dict(item.split("=", 1) for item in items if "=" in item)
    changes.pop(SOURCE, None)
    return names, changes


def variant_source(variant: str) -> str | None:
    """The checkout a variant's child runs in (`python -m` puts its directory first on the path), or None: this one."""
    for item in variant.split(","):
        key, _, value = item.strip().partition("=")
        if key == SOURCE and value:
            return value
    return None


async def answer_times(
    settings: Settings, data: BenchData, question_name: str, answers: int, warmup: int, profiler: Any = None
) -> tuple[float, float]:
    """(CPU ms per answer, p50 ms) of `answers` answers in a row, in this process (profiled, if given)."""
    from graphql_api.app import create_app  # after the patches

    question = next(q for q in questions(data, settings.cursor_secrets[0]) if q.name == question_name)
    rng = random.Random(1)
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://service") as client:

            async def ask() -> None:
                response = await client.post("/graphql", json=question.body(rng))
                if response.status_code != 200 or response.json().get("errors"):
                    raise RuntimeError(response.text[:300])

            for _ in range(warmup):
                await ask()
            latencies = []
            if profiler is not None:
                profiler.start()
            cpu = time.process_time()
            for _ in range(answers):
                started = time.perf_counter()
                await ask()
                latencies.append(time.perf_counter() - started)
            cpu_per_answer = (time.process_time() - cpu) / max(1, answers) * 1000
            if profiler is not None:
                profiler.stop()
    return cpu_per_answer, percentile(latencies, 0.5) * 1000


async def pyinstrument_profile(settings: Settings, data: BenchData, question_name: str, answers: int) -> None:
    profiler = importlib.import_module("pyinstrument").Profiler(interval=0.0005)
    await answer_times(settings, data, question_name, answers, 30, profiler)
    print(profiler.output_text(unicode=False, color=False))


def settings_for(endpoint: str, changes: dict[str, str] | None = None) -> Settings:
    from bench.common import CURSOR_SECRET, TABLE_PREFIX

    return Settings(
        dynamodb_endpoint_url=endpoint,
        table_prefix=TABLE_PREFIX,
        cursor_secret=CURSOR_SECRET,
        auth_mode="none",
        **(changes or {}),
    )


def child(args: argparse.Namespace) -> int:
    """One variant in this (fresh) process: prints {"cpu": ms, "p50": ms}."""
    names, changes = split_variant(args.patches)
    patches.apply(names)
    data = pickle.loads(Path(args.data).read_bytes())
    settings = settings_for(args.endpoint, changes)
    cpu, p50 = asyncio.run(answer_times(settings, data, args.question, args.answers, args.warmup))
    print(json.dumps({"cpu": cpu, "p50": p50}))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--question", default="canonical", help="canonical, catalog, products or placeOrder")
    parser.add_argument("--answers", type=int, default=200, help="answers per variant and round")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--variants", default=DEFAULT_VARIANTS, help="patch sets separated by ';' (none: as it is)")
    parser.add_argument("--pyinstrument", action="store_true", help="print a profile of --patches instead")
    parser.add_argument("--patches", default="none", help="the patch set of --pyinstrument (or of a child)")
    parser.add_argument("--endpoint", help=argparse.SUPPRESS)  # set for the child processes
    parser.add_argument("--data", help=argparse.SUPPRESS)  # the parent's BenchData, pickled
    args = parser.parse_args(argv)
    if args.endpoint:
        return child(args)

    variants = [variant.strip() for variant in args.variants.split(";") if variant.strip()]
    for variant in [*variants, args.patches]:
        names, changes = split_variant(variant)
        patches.parse(names)
        settings_for("http://localhost", changes)  # a bad setting stops here, not in a child
    data = build_bench_data()
    with loaded_dynamodb_local(data.dataset) as loaded, tempfile.TemporaryDirectory() as scratch:
        endpoint = loaded.dynamodb_endpoint_url or ""
        if args.pyinstrument:
            names, changes = split_variant(args.patches)
            patches.apply(names)
            asyncio.run(pyinstrument_profile(settings_for(endpoint, changes), data, args.question, args.answers))
            return 0
        data_file = Path(scratch) / "data.pickle"
        data_file.write_bytes(pickle.dumps(data))
        found: dict[str, list[tuple[float, float]]] = {variant: [] for variant in variants}
        for round_number in range(args.rounds):
            for variant in variants:
                command = [sys.executable, "-m", "bench.profile", "--endpoint", endpoint, "--patches", variant]
                command += ["--data", str(data_file)]
                command += ["--question", args.question, "--answers", str(args.answers), "--warmup", str(args.warmup)]
                source = variant_source(variant)
                if source is not None:  # the child of an earlier checkout gets only what it understands
                    command[command.index("--patches") + 1] = ",".join(
                        item for item in variant.split(",") if not item.strip().startswith(SOURCE + "=")
                    )
                ran = subprocess.run(
                    command, check=False, capture_output=True, text=True, timeout=600, cwd=source or None
                )
                if ran.returncode != 0:
                    raise SystemExit(f"variant {variant!r} failed:\n{ran.stderr[-3000:]}")
                output = ran.stdout
                measured = json.loads(output.strip().splitlines()[-1])
                found[variant].append((measured["cpu"], measured["p50"]))
            print(f"round {round_number + 1}/{args.rounds} done", file=sys.stderr, flush=True)

    base_cpu = statistics.median(cpu for cpu, _ in found[variants[0]])
    print(f"{args.question}: in-process service, {args.answers} answers per variant and round, median of {args.rounds}")
    versus = "vs " + variants[0]
    width = max(12, len(versus))
    print(f"{'variant':<50} {'CPU ms/answer':>14} {versus:>{width}} {'p50 ms':>8}")
    for variant, rounds in found.items():
        cpu = statistics.median(cpu for cpu, _ in rounds)
        p50 = statistics.median(p50 for _, p50 in rounds)
        print(f"{variant:<50} {cpu:>14.1f} {cpu - base_cpu:>+{width}.1f} {p50:>8.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
