"""The service's own data-plane client (graphql_api.dynamo.data_plane) signs, parses and retries as botocore does.

- The signature is botocore's SigV4Auth's, header for header, with and without a session token, across a
  change of day (the signing key is kept per day).
- Every recorded response of a data-plane operation (tests/unit/recorded_dynamodb: DynamoDB Local's,
  moto's and crafted ones) served by a real HTTP server gives what botocore's own client gives: the
  answer, or the error's class, code, message and members (ResponseMetadata's headers aside: a real
  server adds its own).
- Retries: throttling, 500s, a CRC32 mismatch, a refused connection and a read timeout are retried up to
  the attempts allowed, with botocore's backoff; a validation error is not; the retry quota runs out.
"""

from __future__ import annotations

import asyncio
import datetime
import json
import zlib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiohttp
import botocore.auth
import pytest
from aiohttp import web
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError

from graphql_api.dynamo.data_plane import OPERATIONS, DataPlane, FrozenKeys, Signer, endpoint_for
from tests.unit.test_fast_parser import FIXTURES, Clients, _from_json, clients, load  # noqa: F401  # the fixture

DATA_PLANE_FIXTURES = [path for path in FIXTURES if load(path)["operation"] in OPERATIONS.values()]
KEYS: FrozenKeys = ("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", None)

Handler = Callable[[web.Request], Any]


@asynccontextmanager
async def server(handler: Handler) -> AsyncIterator[str]:
    """A real HTTP server on a free port answering every POST with `handler`; yields its URL."""
    app = web.Application()
    app.router.add_post("/", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        await runner.cleanup()


@asynccontextmanager
async def data_plane(
    url: str, attempts: int = 3, read_timeout: float = 5.0
) -> AsyncIterator[tuple[DataPlane, list[float]]]:
    """A DataPlane on `url` whose backoff sleeps are recorded, not slept."""
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)

    async def keys() -> FrozenKeys:
        return KEYS

    timeout = aiohttp.ClientTimeout(total=None, sock_connect=1.0, sock_read=read_timeout)
    async with aiohttp.ClientSession(timeout=timeout, auto_decompress=False) as session:
        yield DataPlane(session, url, "us-east-1", keys, attempts, sleep=sleep), slept


def _botocore_signature(headers: dict[str, str], body: bytes, token: str | None, when: datetime.datetime) -> str:
    request = AWSRequest(method="POST", url="https://dynamodb.eu-west-1.amazonaws.com/", data=body, headers=headers)
    signer = botocore.auth.SigV4Auth(Credentials(KEYS[0], KEYS[1], token), "dynamodb", "eu-west-1")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(botocore.auth, "get_current_datetime", lambda: when)
        signer.add_auth(request)
    return str(request.headers["Authorization"])


@pytest.mark.parametrize("token", [None, "FwoGZXIvYXdzEXAMPLETOKEN"])
def test_the_signature_is_botocores(token: str | None) -> None:
    signer = Signer("eu-west-1", "dynamodb.eu-west-1.amazonaws.com")
    body = json.dumps({"TableName": "dev-Customers", "Key": {"CustomerId": {"S": "c-1 é"}}}).encode()
    for when in (datetime.datetime(2026, 12, 5, 23, 59, 59), datetime.datetime(2026, 12, 6, 0, 0, 1)):
        ours = signer.headers(
            "DynamoDB_20120810.GetItem", body, (KEYS[0], KEYS[1], token), when.strftime("%Y%m%dT%H%M%SZ")
        )
        theirs = {"Content-Type": ours["content-type"], "X-Amz-Target": ours["x-amz-target"]}
        assert ours["authorization"] == _botocore_signature(theirs, body, token, when)
        assert ours.get("x-amz-security-token") == token


@pytest.mark.parametrize("path", DATA_PLANE_FIXTURES, ids=lambda path: f"{path.parent.name}/{path.stem}")
def test_a_recorded_response_gives_what_botocore_gives(path: Path, clients: Clients) -> None:  # noqa: F811
    fixture = load(path)
    stock_kind, stock = clients.outcome(fixture, "aiobotocore", fast=False)

    async def answer(request: web.Request) -> web.Response:
        assert request.headers["X-Amz-Target"] == f"DynamoDB_20120810.{fixture['operation']}"
        headers = {name: value for name, value in fixture["headers"].items() if name.lower() != "content-length"}
        return web.Response(status=fixture["status"], body=fixture["body"].encode(), headers=headers)

    async def ours() -> tuple[str, dict[str, Any]]:
        async with server(answer) as url, data_plane(url, attempts=1) as (plane, _):
            method = next(method for method, name in OPERATIONS.items() if name == fixture["operation"])
            try:
                return "returned", await plane.call(method, _from_json(fixture["request"]))
            except ClientError as error:
                return "ClientError", dict(error.response)

    kind, found = asyncio.run(ours())
    if path.stem == "24-not-json":
        # The one difference by design: botocore answers a 200 whose body is not JSON as an empty answer (a GetItem
        # that found nothing); here it is an error, retried as a transient one.
        assert (stock_kind, kind, found["Error"]["Code"]) == ("returned", "ClientError", "InvalidResponse")
        assert found["ResponseMetadata"]["HTTPStatusCode"] == 502
        return
    if path.stem == "21-unknown-top-level-member":
        # Members botocore's model does not know are kept here (nobody reads them): the other difference.
        assert found.pop("SomethingNew") == {"Value": 1}
    assert kind == ("returned" if stock_kind == "returned" else "ClientError"), (stock_kind, found)
    for outcome in (stock, found):
        metadata = outcome.pop("ResponseMetadata")
        outcome["ResponseMetadata"] = {name: metadata.get(name) for name in ("HTTPStatusCode", "RetryAttempts")}
    if kind == "ClientError":
        # botocore adds a modeled error's members; both keep Code and Message, and what the service reads.
        assert found["Error"]["Code"] == stock["Error"]["Code"]
        assert found["Error"]["Message"] == stock["Error"]["Message"]
        for member in ("CancellationReasons", "Item"):
            assert found.get(member) == stock.get(member)
        assert found["ResponseMetadata"] == stock["ResponseMetadata"]
    else:
        assert found == stock


def _throttled() -> web.Response:
    body = {"__type": "com.amazonaws.dynamodb.v20120810#ThrottlingException", "message": "slow down"}
    return web.json_response(body, status=400)


@pytest.mark.parametrize(
    "fault",
    ["throttled", "server error", "crc mismatch"],
)
def test_retryable_answers_are_retried_with_botocores_backoff(fault: str) -> None:
    seen: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        seen.append(request.headers["X-Amz-Date"])
        if len(seen) < 3:
            if fault == "throttled":
                return _throttled()
            if fault == "server error":
                return web.json_response({"__type": "InternalServerError", "message": "oops"}, status=500)
            return web.Response(body=b'{"Item":{}}', headers={"x-amz-crc32": str(zlib.crc32(b"other"))})
        body = b'{"Item":{"K":{"S":"k"}}}'
        return web.Response(body=body, headers={"x-amz-crc32": str(zlib.crc32(body))})

    async def run() -> tuple[dict[str, Any], list[float]]:
        async with server(answer) as url, data_plane(url, attempts=3) as (plane, slept):
            return await plane.call("get_item", {"TableName": "t", "Key": {"K": {"S": "k"}}}), slept

    answer_, slept = asyncio.run(run())
    assert answer_["Item"] == {"K": {"S": "k"}}
    assert answer_["ResponseMetadata"]["RetryAttempts"] == 2
    assert len(seen) == 3
    assert len(slept) == 2
    assert 0 <= slept[0] <= 1
    assert 0 <= slept[1] <= 2


def test_attempts_are_bounded_and_a_client_error_is_not_retried() -> None:
    calls: list[str] = []

    async def answer(request: web.Request) -> web.Response:
        calls.append(request.headers["X-Amz-Target"])
        if request.headers["X-Amz-Target"].endswith("PutItem"):
            body = {"__type": "com.amazon.coral.validate#ValidationException", "message": "bad"}
            return web.json_response(body, status=400)
        return _throttled()

    async def run() -> tuple[ClientError, ClientError]:
        async with server(answer) as url, data_plane(url, attempts=2) as (plane, _):
            with pytest.raises(ClientError) as throttled:
                await plane.call("query", {"TableName": "t"})
            with pytest.raises(ClientError) as invalid:
                await plane.call("put_item", {"TableName": "t", "Item": {}})
            return throttled.value, invalid.value

    throttled, invalid = asyncio.run(run())
    assert throttled.response["Error"]["Code"] == "ThrottlingException"
    assert throttled.response["ResponseMetadata"]["RetryAttempts"] == 1
    assert invalid.response["Error"] == {"Code": "ValidationException", "Message": "bad"}
    assert calls == ["DynamoDB_20120810.Query"] * 2 + ["DynamoDB_20120810.PutItem"]


def test_a_refused_connection_and_a_read_timeout_are_retried_then_raised_as_botocores() -> None:
    async def hang(request: web.Request) -> web.Response:
        await asyncio.sleep(5)
        return web.json_response({})

    async def run() -> tuple[Exception, Exception, int]:
        async with data_plane("http://127.0.0.1:9/", attempts=2) as (plane, slept):
            with pytest.raises(EndpointConnectionError) as refused:
                await plane.call("get_item", {})
            refused_sleeps = len(slept)
        async with server(hang) as url, data_plane(url, attempts=2, read_timeout=0.2) as (plane, _):
            with pytest.raises(ReadTimeoutError) as late:
                await plane.call("get_item", {})
        return refused.value, late.value, refused_sleeps

    refused, late, refused_sleeps = asyncio.run(run())
    assert refused_sleeps == 1  # two attempts, one backoff between them
    assert "127.0.0.1:9" in str(refused)
    assert "127.0.0.1" in str(late)


def test_the_retry_quota_stops_retries_when_spent() -> None:
    attempts: list[int] = []

    async def answer(request: web.Request) -> web.Response:
        attempts.append(1)
        return _throttled()

    async def run() -> None:
        async with server(answer) as url, data_plane(url, attempts=3) as (plane, _):
            plane.quota.available = 7  # one retry's cost (5) left, not two
            with pytest.raises(ClientError):
                await plane.call("get_item", {})

    asyncio.run(run())
    assert len(attempts) == 2


def test_binary_values_go_as_base64_and_come_back_as_bytes() -> None:
    received: list[Any] = []

    async def answer(request: web.Request) -> web.Response:
        received.append(await request.json())
        return web.json_response({"Item": {"K": {"B": "AAEC"}, "Tags": {"BS": ["AQ=="]}, "B": {"S": "named B"}}})

    async def run() -> dict[str, Any]:
        async with server(answer) as url, data_plane(url) as (plane, _):
            return await plane.call("get_item", {"TableName": "t", "Key": {"K": {"B": b"\x00\x01\x02"}}})

    found = asyncio.run(run())
    assert received == [{"TableName": "t", "Key": {"K": {"B": "AAEC"}}}]
    assert found["Item"] == {"K": {"B": b"\x00\x01\x02"}, "Tags": {"BS": [b"\x01"]}, "B": {"S": "named B"}}


def test_the_endpoint() -> None:
    assert endpoint_for("eu-west-1", None, {}) == "https://dynamodb.eu-west-1.amazonaws.com/"
    assert endpoint_for("cn-north-1", None, {}) == "https://dynamodb.cn-north-1.amazonaws.com.cn/"
    assert endpoint_for("us-east-1", None, {"AWS_USE_FIPS_ENDPOINT": "true"}) == (
        "https://dynamodb-fips.us-east-1.amazonaws.com/"
    )
    assert endpoint_for("us-east-1", None, {"AWS_ENDPOINT_URL": "http://a:1"}) == "http://a:1/"
    environ = {"AWS_ENDPOINT_URL": "http://a:1", "AWS_ENDPOINT_URL_DYNAMODB": "http://b:2"}
    assert endpoint_for("us-east-1", None, environ) == "http://b:2/"
    assert endpoint_for("us-east-1", "http://localhost:8000", environ) == "http://localhost:8000/"
