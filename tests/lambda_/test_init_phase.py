"""The Lambda handler's init phase (in this virtualenv, on the seeded tables), in a fresh process as the runtime starts it: the event loop `serve` runs on
(uvloop), and none of the imports that only a setting left off would use (they were a tenth of the cold start:
bench.lambda_start, docs/aws-lambda.md)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from graphql_api.settings import Settings
from tests.backends import ROOT
from tests.lambda_.harness import dynamodb_local_environment, settings_environment

NOT_IMPORTED_BY_DEFAULT = {
    "redis": "the rate limits' Redis store and the live-updates bus (RATE_LIMIT_STORE, LIVE_BUS)",
    "boto3": "DYNAMODB_CLIENT=boto3",
    "opentelemetry.sdk": "tracing (OTEL_* variables)",
    "email_validator": "the first email address checked (a mutation)",
}

INIT = """
import json, sys
import graphql_api.aws_lambda as entry  # AWS_LAMBDA_FUNCTION_NAME is set: the service is built on import
service = entry.execution_environment()
loop = type(service.loop)
print(json.dumps({"loop": f"{loop.__module__}.{loop.__qualname__}", "modules": sorted(sys.modules)}))
service.close()
"""


def init_phase(settings: Settings, home: Path) -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "AWS_LAMBDA_FUNCTION_NAME": "graphql-api",
        "AWS_REGION": "us-east-1",
        **dynamodb_local_environment(),
        **settings_environment(settings),
    }
    result = subprocess.run(
        [sys.executable, "-c", INIT], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    found: dict[str, object] = json.loads(result.stdout.splitlines()[-1])
    return found


def test_the_init_phase_runs_on_uvloop_and_skips_what_settings_left_off(
    serve_settings: Settings, tmp_path: Path
) -> None:
    found = init_phase(serve_settings, tmp_path)
    assert found["loop"] == "uvloop.Loop"
    modules = set(found["modules"])  # type: ignore[call-overload]
    loaded = {name: why for name, why in NOT_IMPORTED_BY_DEFAULT.items() if name in modules}
    assert loaded == {}


def test_an_open_apis_init_phase_loads_no_token_library(serve_settings: Settings, tmp_path: Path) -> None:
    found = init_phase(serve_settings.replace(auth_mode="none"), tmp_path)
    modules = set(found["modules"])  # type: ignore[call-overload]
    assert {"jwt", "cryptography"} & modules == set()


def test_with_tokens_to_check_the_init_phase_loads_pyjwt_before_the_first_token(
    serve_settings: Settings, tmp_path: Path
) -> None:
    assert serve_settings.auth_mode != "none"
    found = init_phase(serve_settings, tmp_path)
    assert "jwt" in found["modules"]  # type: ignore[operator]
