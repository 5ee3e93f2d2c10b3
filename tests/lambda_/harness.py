"""One HTTP request, sent to `serve` over HTTP and to the unpacked Lambda handler as an event, and the answers
compared: the status, the headers that matter and the body (JSON-equal when JSON).

Events are made from the recorded shapes in `recorded/` (an API Gateway HTTP API payload 2.0 event and a
function URL event, as AWS documents them), with the request's method, path, query, headers and body put
in the way the gateway does: lower-case header names, the body base64-encoded unless it is text.
"""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import httpx

from graphql_api.settings import Settings
from tests.support import dynamodb_local_keys

RECORDED = Path(__file__).parent / "recorded"
INVOKE = Path(__file__).parent / "invoke.py"
EVENT_KINDS = ("http-api", "function-url")

# The headers a client or a browser acts on; not date, server, content-length (the gateway sets it), nor a
# file's etag and last-modified (from the file's time, which differs between two copies of it).
HEADERS_THAT_MATTER = (
    "content-type",
    "www-authenticate",
    "cache-control",
    "content-security-policy",
    "x-content-type-options",
    "x-frame-options",
    "referrer-policy",
    "cross-origin-opener-policy",
    "vary",
    "allow",
    "x-request-id",
    "x-dynamodb-requests",
)
_TEXT_TYPES = ("text/", "json", "xml", "javascript", "graphql")
REQUEST_ID_PLACEHOLDER = "<request-id>"


@dataclass(frozen=True)
class HttpRequest:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass(frozen=True)
class HttpAnswer:
    status: int
    headers: dict[str, str]
    """Lower-case names; a repeated header's values joined with "," (as Lambda's payload 2.0 does)."""
    body: bytes


def as_event(request: HttpRequest, kind: str, number: int) -> dict[str, Any]:
    """`request` as the gateway (`kind`: http-api or function-url) hands it to the function."""
    event: dict[str, Any] = json.loads((RECORDED / f"{kind}.json").read_text())
    headers = {name: value for name, value in event["headers"].items() if name != "content-length"}
    headers.update({name.lower(): value for name, value in request.headers.items()})
    if request.body:
        headers["content-length"] = str(len(request.body))
        text = any(kind_ in headers.get("content-type", "") for kind_ in _TEXT_TYPES)
        event["body"] = request.body.decode() if text else base64.b64encode(request.body).decode()
        event["isBase64Encoded"] = not text
    event["headers"] = headers
    event["rawPath"] = request.path
    event["rawQueryString"] = request.query
    if request.query:
        parsed = parse_qs(request.query, keep_blank_values=True)
        event["queryStringParameters"] = {name: ",".join(values) for name, values in parsed.items()}
    context = event["requestContext"]
    context["http"].update(method=request.method, path=request.path, userAgent=headers.get("user-agent", ""))
    context["requestId"] = f"{context['requestId'][:-6]}{number:06d}"
    return event


def answer_of_event(response: dict[str, Any]) -> HttpAnswer:
    """The HTTP response that the gateway makes of the function's payload 2.0 response."""
    body = response.get("body", "")
    raw = base64.b64decode(body) if response.get("isBase64Encoded") else body.encode()
    headers = dict(response.get("headers") or {})
    if response.get("cookies"):
        headers["set-cookie"] = ",".join(response["cookies"])
    return HttpAnswer(response["statusCode"], headers, raw)


def send_to_serve(client: httpx.Client, request: HttpRequest) -> HttpAnswer:
    url = request.path + (f"?{request.query}" if request.query else "")
    response = client.request(request.method, url, headers=request.headers, content=request.body or None)
    headers = {name: ",".join(response.headers.get_list(name)) for name in response.headers}
    return HttpAnswer(response.status_code, headers, response.content)


def comparable(answer: HttpAnswer, request: HttpRequest) -> dict[str, Any]:
    """What must be equal between the two answers to `request`; a request id made up by the service is masked."""
    headers = {
        name: value
        for name, value in answer.headers.items()
        if name in HEADERS_THAT_MATTER or name.startswith("access-control-")
    }
    text = answer.body.decode("utf-8", errors="replace")
    sent_id = any(name.lower() == "x-request-id" for name in request.headers)
    if not sent_id and "x-request-id" in headers:
        text = text.replace(headers["x-request-id"], REQUEST_ID_PLACEHOLDER)
        headers["x-request-id"] = REQUEST_ID_PLACEHOLDER
    body: Any = text
    if "json" in headers.get("content-type", ""):
        body = json.loads(text)
    return {"status": answer.status, "headers": headers, "body": body}


def dynamodb_local_environment() -> dict[str, str]:
    """This process's DynamoDB Local keys as a child's variables (its database: see tests/conftest.py)."""
    keys = dynamodb_local_keys()
    return {"AWS_ACCESS_KEY_ID": keys["aws_access_key_id"], "AWS_SECRET_ACCESS_KEY": keys["aws_secret_access_key"]}


def settings_environment(settings: Settings) -> dict[str, str]:
    """The environment variables that make `load_settings()` read `settings` (those the tests change)."""
    return {
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "DYNAMODB_CLIENT": settings.dynamodb_client,
        "CURSOR_SECRET": ",".join(secret.get_secret_value() for secret in settings.cursor_secret),
        "AUTH_MODE": settings.auth_mode,
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_JWKS_URL": settings.auth_jwks_url or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
        "CORS_ALLOW_ORIGINS": ",".join(settings.cors_allow_origins),
        "MAX_BODY_BYTES": str(settings.max_body_bytes),
        "LOG_LEVEL": "WARNING",
    }


@dataclass
class LambdaRun:
    responses: list[dict[str, Any]]
    summary: dict[str, Any]
    """From invoke.py: import_ms, first_answer_ms, service_objects, dynamodb_clients, foreign_modules, gc_enabled,
    gc_frozen, compiled_texts."""
    process_ms: float
    """From starting the process to its exit."""


def invoke_unpacked(
    folder: Path, environment: dict[str, str], events: list[dict[str, Any]], home: Path, log: Path
) -> LambdaRun:
    """Run the handler of the package unpacked in `folder` on `events`, in a fresh, isolated Python process
    that sees only `folder` and the standard library, with Lambda's working directory and variables."""
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),  # no user cache: GraphiQL's assets must come from the package
        "LANG": "C.UTF-8",
        "AWS_LAMBDA_FUNCTION_NAME": "graphql-api",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "1024",
        "AWS_REGION": "us-east-1",
        "LAMBDA_TASK_ROOT": str(folder),
        **dynamodb_local_environment(),
        **environment,
    }
    started = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-I", "-S", str(INVOKE), str(folder)],
        input="".join(json.dumps(event) + "\n" for event in events),
        capture_output=True,
        text=True,
        cwd=folder,
        env=env,
        timeout=180,
    )
    elapsed = (time.perf_counter() - started) * 1000
    log.parent.mkdir(exist_ok=True)
    log.write_text(result.stderr)
    if result.returncode != 0:
        raise RuntimeError(f"the handler's process failed ({result.returncode}):\n{result.stderr[-3000:]}")
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    return LambdaRun(lines[:-1], lines[-1]["summary"], elapsed)
