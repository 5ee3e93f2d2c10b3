"""Invoke the handler of an unzipped deployment package, as Lambda's runtime would, in this fresh process.

Run as `python -I -S invoke.py FOLDER` (isolated, no site-packages), so that only FOLDER and the standard
library can be imported. Reads one event per line on stdin and writes one JSON line per event on stdout
(the handler's response), then a last line with what the test checks: how long the import and the first
answer took, whether every invocation ran on the same app services (built once), any module imported
from outside FOLDER and the standard library, and how the init phase ran (the garbage collector's state, the
compiled texts it ran from the zip). Uses the standard library only, until FOLDER is on the path.
"""

from __future__ import annotations

import gc
import json
import sys
import sysconfig
import time
from pathlib import Path
from typing import Any

started = time.perf_counter()


class Context:
    """The parts of Lambda's context object that Mangum and the app may read."""

    function_name = "graphql-api"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:graphql-api"
    memory_limit_in_mb = 1024
    log_group_name = "/aws/lambda/graphql-api"
    log_stream_name = "2026/01/01/[$LATEST]0123456789abcdef"

    def __init__(self, request_id: str) -> None:
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def foreign_modules(folder: Path) -> list[str]:
    """Modules loaded from anywhere but `folder` and the standard library."""
    allowed = [folder.resolve()] + [Path(sysconfig.get_paths()[name]).resolve() for name in ("stdlib", "platstdlib")]
    foreign = []
    for name, module in list(sys.modules.items()):
        file = getattr(module, "__file__", None)
        if file and not any(Path(file).resolve().is_relative_to(root) for root in allowed):
            foreign.append(f"{name}: {file}")
    return sorted(foreign)


def main(folder: Path) -> None:
    sys.path.insert(0, str(folder))
    import graphql_api.aws_lambda as entry
    from graphql_api.services import services_of

    imported = time.perf_counter()
    first_answer: float | None = None
    services: list[Any] = []  # held, so that two distinct objects never share an id
    for number, line in enumerate(sys.stdin):
        context: Any = Context(f"invocation-{number}")  # what Mangum reads of Lambda's context, not all of it
        response = entry.handler(json.loads(line), context)
        first_answer = first_answer or time.perf_counter()
        services.append(services_of(entry.execution_environment().app))
        print(json.dumps(response), flush=True)
    summary = {
        "import_ms": (imported - started) * 1000,
        "first_answer_ms": ((first_answer or imported) - started) * 1000,
        "service_objects": len({id(service) for service in services}),
        "dynamodb_clients": len({id(service.dynamo) for service in services}),
        "foreign_modules": foreign_modules(folder),
        "gc_enabled": gc.isenabled(),
        "gc_frozen": gc.get_freeze_count(),
        "compiled_texts": vars(entry.compiled_texts_uses),
    }
    print(json.dumps({"summary": summary}), flush=True)


if __name__ == "__main__":
    main(Path(sys.argv[1]))
