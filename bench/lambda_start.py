"""Lambda cold start and warm invocation, measured as the runtime runs the function: a fresh process, the zip only.

    .venv/bin/python -m bench.lambda_start [--rounds 5] [--warm 60]

Builds the deployment zip with `graphql-api package lambda` and, from the same dependencies' wheels (the
zip's own files without graphql_api), a zip of a minimal hand-written handler (bench.lambda_minimal_handler:
aiobotocore, the canonical query's four requests, JSON out), precompiled the same way. Unzips both into
empty folders, starts DynamoDB Local with the benchmarks' data, and then, in alternating rounds (who goes
first rotates), starts a fresh `python -I -S` per handler (no site-packages: only the folder and the standard
library can be imported; bench.lambda_driver) with Lambda's variables, hands it an API Gateway HTTP API
event of the canonical query, and times the process from its start to its first answer: the cold start
(interpreter, imports, the init phase, the first invocation's JWKS-free open-API request and its 4 DynamoDB
requests). The same process then answers `--warm` more invocations: the handler's in-process time per
warm canonical invocation. Each round also runs the service's handler on asyncio's loop (the choice of
graphql_api.aws_lambda.new_event_loop) and the app as `serve` runs it, in this process over ASGI on uvloop
(bench.profile.answer_times, as bench.run measures in-process). Every answer is checked
equal to the service's, cursors aside (the minimal handler signs its own, at the same cost). Prints the
medians, the ratios and the verdicts of issue 26's goals; bench.run prints them with `--lambda`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvloop

from bench.common import BenchData, build_bench_data, loaded_dynamodb_local
from bench.profile import answer_times
from bench.questions import questions
from graphql_api.compiled_texts import FILE_NAME
from graphql_api.ops.package_lambda import compile_modules, write_zip
from graphql_api.settings import Settings
from tests.backends import ROOT
from tests.lambda_.harness import HttpRequest, as_event, settings_environment

BENCH = Path(__file__).resolve().parent
DRIVER = BENCH / "lambda_driver.py"
MINIMAL = BENCH / "lambda_minimal_handler.py"
SERVICE_HANDLER, MINIMAL_HANDLER = "graphql_api.aws_lambda:handler", "lambda_minimal_handler:handler"
SERVICE_ONLY = ("graphql_api", "graphql-api-cache", FILE_NAME)
"""The service zip's top-level entries that the minimal handler's zip leaves out."""
COLD_GOAL, WARM_GOAL = 1.5, 1.1
WARMUP = 10
"""Warm invocations (and `serve`'s answers) not counted: the first ones make the document's plan and caches."""


@dataclass
class Figures:
    cold_ms: list[float] = field(default_factory=list)
    """From the process's start to its first answer."""
    cold_cpu_ms: list[float] = field(default_factory=list)
    """The process's CPU time until its first answer: less sensitive to a busy machine than `cold_ms`."""
    init_ms: list[float] = field(default_factory=list)
    """The driver's import of the handler's module (with the service: its init phase)."""
    warm_ms: list[float] = field(default_factory=list)
    """Per warm invocation, every round's."""
    warm_cpu_ms: list[float] = field(default_factory=list)


@dataclass(frozen=True)
class LambdaVerdict:
    goal: str
    measured: str
    met: bool


def build_zips(directory: Path) -> tuple[Path, Path]:
    """The service's zip (`graphql-api package lambda`) and the minimal handler's, from the same wheels."""
    service = directory / "service.zip"
    command = [sys.executable, "-m", "graphql_api.cli", "package", "lambda", "--output", str(service)]
    subprocess.run(command, cwd=ROOT, check=True, capture_output=True)
    staging = directory / "minimal"
    with zipfile.ZipFile(service) as archive:
        archive.extractall(staging)
    for name in SERVICE_ONLY:
        shutil.rmtree(staging / name, ignore_errors=True)
        (staging / name).unlink(missing_ok=True)
    shutil.copyfile(MINIMAL, staging / MINIMAL.name)
    compile_modules(staging)  # as the service's: bytecode for the runtime's Python, not checked against sources
    minimal = directory / "minimal.zip"
    write_zip(staging, minimal)
    shutil.rmtree(staging)
    return service, minimal


def unzipped(archive: Path, folder: Path) -> Path:
    with zipfile.ZipFile(archive) as opened:
        opened.extractall(folder)
    return folder


def lambda_environment(settings: Settings, home: Path) -> dict[str, str]:
    """Lambda's variables and the function's settings; nothing of this process's environment but PATH."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": "graphql-api",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": settings.aws_region,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        **settings_environment(settings),
    }


def invoke_fresh(
    folder: Path, target: str, event: dict[str, Any], warm: int, env: dict[str, str], loop: str | None = None
) -> tuple[float, dict[str, Any], dict[str, Any]]:
    """(ms from the process's start to its first answer, that answer, the driver's summary)."""
    command = [sys.executable, "-I", "-S", str(DRIVER), str(folder), target, str(warm), *([loop] if loop else [])]
    log_path = folder.with_suffix(".log")  # the handler's log lines and warnings, out of the report's way
    with log_path.open("a") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            command, cwd=folder, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, text=True
        )
        assert process.stdin is not None
        assert process.stdout is not None
        process.stdin.write(json.dumps(event))
        process.stdin.close()
        first_line = process.stdout.readline()
        cold_ms = (time.perf_counter() - started) * 1000
        summary_line = process.stdout.readline()
        process.stdout.close()
        failed = process.wait(timeout=300) != 0 or not summary_line
    if failed:
        raise RuntimeError(f"{target} in {folder} failed (exit {process.returncode}):\n{log_path.read_text()[-3000:]}")
    return cold_ms, json.loads(first_line), json.loads(summary_line)


def answer_data(response: dict[str, Any]) -> Any:
    if response.get("statusCode") != 200:
        raise RuntimeError(f"not answered: {str(response)[:300]}")
    body = json.loads(response["body"])
    if body.get("errors"):
        raise RuntimeError(f"errors: {body['errors']}")
    return body["data"]


def without_cursors(data: Any) -> Any:
    """`data` with every cursor blanked: the minimal handler signs its own (same HMAC, not the service's layout)."""
    if isinstance(data, dict):
        return {key: "" if key in ("cursor", "endCursor") else without_cursors(value) for key, value in data.items()}
    if isinstance(data, list):
        return [without_cursors(value) for value in data]
    return data


def serve_in_process(settings: Settings, data: BenchData, answers: int) -> tuple[float, float]:
    """(CPU ms, p50 ms) per canonical answer of the app over ASGI in this process, on uvloop as `serve` runs."""
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(answer_times(settings, data, "canonical", answers, warmup=WARMUP))


def measure(rounds: int, warm: int, log: Callable[[str], None]) -> dict[str, Figures]:
    data = build_bench_data()
    figures = {name: Figures() for name in ("service", "minimal", "service, asyncio loop", "serve in-process")}
    with tempfile.TemporaryDirectory(prefix="bench-lambda-") as work, loaded_dynamodb_local(data.dataset) as settings:
        directory = Path(work)
        started = time.perf_counter()
        service_zip, minimal_zip = build_zips(directory)
        log(f"zips built in {time.perf_counter() - started:.0f} s")
        folders = {
            "service": unzipped(service_zip, directory / "service"),
            "minimal": unzipped(minimal_zip, directory / "minimal"),
        }
        (directory / "home").mkdir()
        env = lambda_environment(settings, directory / "home")
        canonical = next(q for q in questions(data, settings.cursor_secrets[0]) if q.name == "canonical")
        body = json.dumps(canonical.body(random.Random(1))).encode()
        request = HttpRequest("POST", "/graphql", headers={"content-type": "application/json"}, body=body)
        event = as_event(request, "http-api", 1)
        runs: dict[str, Callable[[], None]] = {}
        expected: list[Any] = []

        def fresh(name: str, folder: str, target: str, loop: str | None = None) -> Callable[[], None]:
            def run() -> None:
                cold_ms, first, summary = invoke_fresh(folders[folder], target, event, WARMUP + warm, env, loop)
                if expected and without_cursors(answer_data(first)) != expected[0]:
                    raise RuntimeError(f"{name} answered other data than the first: {str(first)[:300]}")
                expected.append(without_cursors(answer_data(first)))
                cells = figures[name]
                cells.cold_ms.append(cold_ms)
                cells.init_ms.append(summary["import_ms"])
                cells.cold_cpu_ms.append(summary["first_cpu_ms"])
                cells.warm_ms += summary["warm_ms"][WARMUP:]
                cells.warm_cpu_ms += summary["warm_cpu_ms"][WARMUP:]

            return run

        def serve() -> None:
            cpu_ms, p50_ms = serve_in_process(settings, data, warm)
            figures["serve in-process"].warm_ms.append(p50_ms)
            figures["serve in-process"].warm_cpu_ms.append(cpu_ms)

        runs = {
            "service": fresh("service", "service", SERVICE_HANDLER),
            "minimal": fresh("minimal", "minimal", MINIMAL_HANDLER),
            "service, asyncio loop": fresh("service, asyncio loop", "service", SERVICE_HANDLER, "asyncio"),
            "serve in-process": serve,
        }
        order = list(runs)
        for number in range(rounds):
            for name in order[number % len(order) :] + order[: number % len(order)]:  # who goes first rotates
                runs[name]()
            log(f"round {number + 1}/{rounds} done")
    return figures


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")


def verdicts(figures: dict[str, Figures]) -> list[LambdaVerdict]:
    service, minimal, serve = figures["service"], figures["minimal"], figures["serve in-process"]
    cold = median(service.cold_ms) / median(minimal.cold_ms)
    cpu = median(service.cold_cpu_ms) / median(minimal.cold_cpu_ms)
    warm = median(service.warm_ms) / median(serve.warm_ms)
    warm_cpu = median(service.warm_cpu_ms) / median(serve.warm_cpu_ms)
    return [
        LambdaVerdict(
            f"Lambda cold start <= {COLD_GOAL}x a minimal handler's (fresh process, zip only)",
            f"{cold:.2f}x ({median(service.cold_ms):.0f} ms vs {median(minimal.cold_ms):.0f} ms, medians; "
            f"CPU to the first answer {cpu:.2f}x)",
            cold <= COLD_GOAL,
        ),
        LambdaVerdict(
            f"Lambda warm canonical invocation <= {WARM_GOAL}x serve's in-process cost",
            f"{warm:.2f}x ({median(service.warm_ms):.1f} ms vs {median(serve.warm_ms):.1f} ms p50; "
            f"CPU {warm_cpu:.2f}x)",
            warm <= WARM_GOAL,
        ),
    ]


def table(figures: dict[str, Figures]) -> str:
    """Medians; the asyncio-loop run's cold start is not one (its service is built on first use, not at import)."""
    header = ("cold start ms", "CPU to 1st ms", "init ms", "warm p50 ms", "warm CPU ms")
    lines = [f"{'':24}" + "".join(f"{column:>15}" for column in header)]
    for name, cells in figures.items():
        cold = name in ("service", "minimal")
        values = (cells.cold_ms, cells.cold_cpu_ms, cells.init_ms) if cold else ([], [], [])
        shown = [f"{median(v):.0f}" if v else "-" for v in values]
        shown += [f"{median(cells.warm_ms):.1f}", f"{median(cells.warm_cpu_ms):.1f}"]
        lines.append(f"{name:24}" + "".join(f"{value:>15}" for value in shown))
    return "\n".join(lines)


def run(rounds: int, warm: int, log: Callable[[str], None]) -> tuple[str, list[LambdaVerdict]]:
    """The table of medians and the verdicts (for bench.run)."""
    figures = measure(rounds, warm, log)
    return table(figures), verdicts(figures)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="alternating rounds (a fresh process per handler)")
    parser.add_argument("--warm", type=int, default=60, help="warm invocations per process")
    args = parser.parse_args(argv)
    started = time.perf_counter()

    def log(message: str) -> None:
        print(f"[{time.perf_counter() - started:6.1f}s] {message}", file=sys.stderr, flush=True)

    load = os.getloadavg()[0]
    text, found = run(args.rounds, args.warm, log)
    print(
        f"{args.rounds} rounds, {args.warm} warm invocations each, load average {load:.1f} -> {os.getloadavg()[0]:.1f}"
    )
    print(text)
    for verdict in found:
        print(f"{verdict.goal}: {verdict.measured}: {'met' if verdict.met else 'NOT met'}")
    return 0 if all(verdict.met for verdict in found) else 1


if __name__ == "__main__":
    sys.exit(main())
