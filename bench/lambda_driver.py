"""Run a Lambda handler from an unzipped deployment package in this fresh process, as the runtime does.

    python -I -S bench/lambda_driver.py FOLDER MODULE:FUNCTION WARM [asyncio]

Standard library only until FOLDER is on the path (run isolated, without site-packages, so only FOLDER and the
standard library can be imported). Reads one event (JSON) on stdin; imports MODULE (its init phase), invokes
FUNCTION with the event and prints the response as one JSON line at once (bench.lambda_start times the
process from its start to that line: the cold start), then invokes it WARM more times and prints a last line:
"import_ms" and "first_ms" (from this script's start), "import_cpu_ms" and "first_cpu_ms" (the process's CPU
time until the import ended and until the first answer, interpreter start included), "warm_ms" and
"warm_cpu_ms" (per invocation). `asyncio` runs the service's handler on asyncio's loop instead of the one
graphql_api.aws_lambda picks (to compare them).
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import time
from typing import Any

started = time.perf_counter()


class Context:
    """What Mangum reads of Lambda's context object."""

    function_name = "graphql-api"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:graphql-api"
    memory_limit_in_mb = 1024
    aws_request_id = "bench"

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def main(folder: str, target: str, warm: int, loop: str | None) -> None:
    sys.path.insert(0, folder)
    event = json.loads(sys.stdin.read())
    module_name, function_name = target.split(":")
    if loop == "asyncio":
        # Built on first use rather than at import (AWS_LAMBDA_FUNCTION_NAME unset), after this swap.
        os.environ.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    module = importlib.import_module(module_name)
    if loop == "asyncio":
        import asyncio

        setattr(module, "new_event_loop", asyncio.new_event_loop)  # noqa: B010 (a module's function, replaced)
    imported, imported_cpu = time.perf_counter(), time.process_time()
    handler: Any = getattr(module, function_name)
    context = Context()
    print(json.dumps(handler(event, context)), flush=True)
    first, first_cpu = time.perf_counter(), time.process_time()
    warm_ms, warm_cpu_ms = [], []
    for _ in range(warm):
        wall, cpu = time.perf_counter(), time.process_time()
        handler(event, context)
        warm_cpu_ms.append((time.process_time() - cpu) * 1000)
        warm_ms.append((time.perf_counter() - wall) * 1000)
    summary = {
        "import_ms": (imported - started) * 1000,
        "first_ms": (first - started) * 1000,
        "import_cpu_ms": imported_cpu * 1000,
        "first_cpu_ms": first_cpu * 1000,
        "warm_ms": warm_ms,
        "warm_cpu_ms": warm_cpu_ms,
    }
    print(json.dumps(summary), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] if len(sys.argv) > 4 else None)
