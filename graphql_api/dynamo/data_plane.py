"""DynamoDB's data plane signed and sent by the service itself, over aiohttp (DYNAMODB_CLIENT=aiohttp, the default).

A DynamoDB request is a signed JSON POST: `X-Amz-Target: DynamoDB_20120810.<Operation>`, the parameters
as the body, Signature Version 4 over both. botocore does that and much besides on every call (its event
hooks, the endpoint ruleset, the model's serializer and parser, a user agent rebuilt per request): about
0.5 ms of CPU per call here (bench/data_plane.py: a GetItem 785 vs 322 us, a BatchGetItem of 60 items
1,056 vs 506 us), the larger part of what the service spent beyond a hand-written endpoint (decision
record 10). The operations the API serves requests with (GetItem, BatchGetItem, Query, Scan, PutItem, UpdateItem,
DeleteItem, BatchWriteItem, TransactWriteItems, TransactGetItems) go through this module; every other
operation (DescribeTable, CreateTable, the streams...) stays with botocore (graphql_api.dynamo.client).

It keeps what callers of the botocore client rely on, so nothing above the transport changes:

- **Answers** are `json.loads` of the body plus botocore's `ResponseMetadata` (RequestId, HTTPStatusCode,
  HTTPHeaders, RetryAttempts). Binary values (`B`, `BS`) are base64-decoded to bytes as botocore does;
  bytes in the parameters are base64-encoded.
- **Errors** are botocore's `ClientError`, with `Error.Code` from the body's `__type` (or the
  `x-amzn-ErrorType` header), `Error.Message`, the error's other members (a TransactionCanceledException's
  `CancellationReasons`, a failed condition's `Item`) and the same ResponseMetadata. A connection that fails
  or times out raises botocore's EndpointConnectionError, ConnectTimeoutError, ReadTimeoutError or
  ConnectionClosedError, so graphql_api.dynamo.client maps all of them as before.
- **Retries** are botocore's `standard` mode, restated: at most DYNAMODB_MAX_ATTEMPTS attempts; throttling
  codes, the transient codes and statuses (500, 502, 503, 504), a CRC32 mismatch (DynamoDB's
  `x-amz-crc32`) and connection failures are retried after `rand(0, 1) * min(2 ** (attempt - 1), 20)` s;
  a retry quota of 500 shared by the process (5 a retry, 10 after a timeout, 1 back per first-time
  success) stops retry storms during an outage. Each attempt is re-signed and told to the observer, as
  botocore's `before-send` was.
- **Credentials** come from botocore's standard chain (refreshed when temporary) or the dummy key of a
  local endpoint: graphql_api.dynamo.client.resolve_credentials decides, as for every transport.
- **The endpoint** is DYNAMODB_ENDPOINT_URL, else `AWS_ENDPOINT_URL_DYNAMODB` or `AWS_ENDPOINT_URL`, else
  DynamoDB's regional endpoint (`dynamodb-fips.` with AWS_USE_FIPS_ENDPOINT=true; `.amazonaws.com.cn` in
  the China regions). Other partitions or dual-stack endpoints: set DYNAMODB_ENDPOINT_URL.

Tests: tests/unit/test_data_plane.py pins the signature to botocore's SigV4 signer and the answers and
errors to botocore's parse of the same responses; every integration test (moto and DynamoDB Local) and
the fault proxy's (throttling, 500s, late answers, a stopped or hung server) run through it.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import time
import zlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any
from urllib.parse import urlsplit

import aiohttp
from botocore import xform_name
from botocore.exceptions import (
    ClientError,
    ConnectionClosedError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
    ReadTimeoutError,
)

from graphql_api.dynamo.observer import request_sent

DATA_PLANE_OPERATIONS = (
    "GetItem",
    "BatchGetItem",
    "Query",
    "Scan",
    "PutItem",
    "UpdateItem",
    "DeleteItem",
    "BatchWriteItem",
    "TransactWriteItems",
    "TransactGetItems",
)
"""The operations the API serves requests with: sent by this module, and parsed by graphql_api.dynamo.fast_parser
when botocore sends them."""

OPERATIONS = {xform_name(name): name for name in DATA_PLANE_OPERATIONS}
"""botocore's method names of the data-plane operations (`batch_get_item`) -> DynamoDB's (`BatchGetItem`)."""

# `"B"` and `"BS"` as keys; `\u0042` is B escaped, which JSON allows in a key (DynamoDB does not do it).
_BINARY_MARKERS = (b'"B"', b'"BS"', b"\\u0042")

TARGET_PREFIX = "DynamoDB_20120810."
CONTENT_TYPE = "application/x-amz-json-1.0"

THROTTLING_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "TransactionInProgressException",
        "RequestLimitExceeded",
        "BandwidthLimitExceeded",
        "LimitExceededException",
        "RequestThrottled",
        "SlowDown",
        "PriorRequestNotComplete",
        "EC2ThrottledException",
    }
)
"""botocore.retries.standard's throttling codes."""
TRANSIENT_CODES = frozenset({"RequestTimeout", "RequestTimeoutException", "PriorRequestNotComplete"})
TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})
MAX_BACKOFF = 20.0


FrozenKeys = tuple[str, str, str | None]
"""(access key, secret key, session token) at the moment of a request."""
KeySource = Callable[[], Awaitable[FrozenKeys | None]]


class RetryQuota:
    """botocore's retry quota (standard mode): retries draw on one budget, first-time successes refill it."""

    CAPACITY, RETRY_COST, TIMEOUT_COST, SUCCESS_REFILL = 500, 5, 10, 1

    def __init__(self) -> None:
        self.available = self.CAPACITY

    def acquire(self, cost: int) -> bool:
        if cost > self.available:
            return False
        self.available -= cost
        return True

    def release(self, amount: int) -> None:
        self.available = min(self.CAPACITY, self.available + amount)


@dataclass
class Signer:
    """Signature Version 4 for DynamoDB, the signing key kept per day (it is an HMAC chain of four)."""

    region: str
    host: str
    _key: tuple[str, str, bytes] = ("", "", b"")  # (day, secret, key)

    def headers(self, target: str, body: bytes, keys: FrozenKeys, amz_date: str) -> dict[str, str]:
        access_key, secret_key, token = keys
        day = amz_date[:8]
        headers = {"content-type": CONTENT_TYPE, "host": self.host, "x-amz-date": amz_date, "x-amz-target": target}
        if token:
            headers["x-amz-security-token"] = token
        names = sorted(headers)
        signed = ";".join(names)
        canonical = (
            "".join(("POST\n/\n\n", *(f"{name}:{headers[name]}\n" for name in names), "\n", signed, "\n"))
            + hashlib.sha256(body).hexdigest()
        )
        scope = f"{day}/{self.region}/dynamodb/aws4_request"
        to_sign = f"AWS4-HMAC-SHA256\n{amz_date}\n{scope}\n{hashlib.sha256(canonical.encode()).hexdigest()}"
        signature = hmac.new(self._signing_key(day, secret_key), to_sign.encode(), hashlib.sha256).hexdigest()
        headers["authorization"] = (
            f"AWS4-HMAC-SHA256 Credential={access_key}/{scope}, SignedHeaders={signed}, Signature={signature}"
        )
        return headers

    def _signing_key(self, day: str, secret_key: str) -> bytes:
        if self._key[:2] != (day, secret_key):
            key = f"AWS4{secret_key}".encode()
            for part in (day, self.region, "dynamodb", "aws4_request"):
                key = hmac.new(key, part.encode(), hashlib.sha256).digest()
            self._key = (day, secret_key, key)
        return self._key[2]


def endpoint_for(region: str, endpoint_url: str | None, environ: dict[str, str] | None = None) -> str:
    """The URL requests go to (see the module's docstring)."""
    environ = dict(os.environ) if environ is None else environ
    configured = endpoint_url or environ.get("AWS_ENDPOINT_URL_DYNAMODB") or environ.get("AWS_ENDPOINT_URL")
    if configured:
        return configured.rstrip("/") + "/"
    service = "dynamodb-fips" if environ.get("AWS_USE_FIPS_ENDPOINT", "").lower() == "true" else "dynamodb"
    suffix = "amazonaws.com.cn" if region.startswith("cn-") else "amazonaws.com"
    return f"https://{service}.{region}.{suffix}/"


def may_hold_binary(raw_body: bytes) -> bool:
    """Whether a binary attribute value (`B` or `BS`) could be in this body."""
    return any(marker in raw_body for marker in _BINARY_MARKERS)


def _wire_default(value: Any) -> Any:
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(value).decode()
    if isinstance(value, set | frozenset):
        return list(value)
    raise TypeError(f"cannot send a value of type {type(value).__name__} to DynamoDB")


def _decode_binary(value: Any) -> Any:
    """A parsed body with its binary attribute values (`{"B": str}`, `{"BS": [str]}`) decoded to bytes."""
    if isinstance(value, list):
        return [_decode_binary(inner) for inner in value]
    if not isinstance(value, dict):
        return value
    if len(value) == 1:
        ((kind, inner),) = value.items()
        if kind == "B" and isinstance(inner, str):
            return {"B": base64.b64decode(inner)}
        if kind == "BS" and isinstance(inner, list) and all(isinstance(part, str) for part in inner):
            return {"BS": [base64.b64decode(part) for part in inner]}
    return {key: _decode_binary(inner) for key, inner in value.items()}


@dataclass
class _Reply:
    status: int
    headers: dict[str, str]
    body: bytes


class DataPlane:
    """Sends the data-plane operations (OPERATIONS) with botocore's retry policy; see the module's docstring."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint_url: str,
        region: str,
        keys: KeySource,
        max_attempts: int,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self._session = session
        self.endpoint_url = endpoint_url
        self._signer = Signer(region, urlsplit(endpoint_url).netloc)
        self._keys = keys
        self._max_attempts = max_attempts
        self._sleep = sleep
        self.quota = RetryQuota()

    async def call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        name = OPERATIONS[operation]
        target = TARGET_PREFIX + name
        body = json.dumps(params, separators=(",", ":"), default=_wire_default).encode()
        retry_cost = 0
        for attempt in range(1, self._max_attempts + 1):
            keys = await self._keys()
            if keys is None:
                raise NoCredentialsError()
            request_sent(f"before-send.dynamodb.{name}")
            headers = self._signer.headers(target, body, keys, time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()))
            try:
                reply = await self._post(headers, body)
            except (ConnectTimeoutError, ReadTimeoutError) as error:
                failure: Exception = error
                cost = RetryQuota.TIMEOUT_COST
            except (EndpointConnectionError, ConnectionClosedError) as error:
                failure, cost = error, RetryQuota.RETRY_COST
            else:
                answer = self._answer(name, reply, attempt - 1)
                if isinstance(answer, dict):
                    self.quota.release(retry_cost or RetryQuota.SUCCESS_REFILL)
                    return answer
                failure, cost = answer, RetryQuota.RETRY_COST
                if not _retryable(answer):
                    raise answer
            if attempt == self._max_attempts or not self.quota.acquire(cost):
                raise failure
            retry_cost = cost
            await self._sleep(random.random() * min(2 ** (attempt - 1), MAX_BACKOFF))  # noqa: S311  # jitter
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _post(self, headers: dict[str, str], body: bytes) -> _Reply:
        try:
            async with self._session.post(self.endpoint_url, data=body, headers=headers) as response:
                return _Reply(
                    response.status, {k.lower(): v for k, v in response.headers.items()}, await response.read()
                )
        except aiohttp.ConnectionTimeoutError as error:
            raise ConnectTimeoutError(endpoint_url=self.endpoint_url, error=error) from error
        except (TimeoutError, aiohttp.ServerTimeoutError) as error:
            raise ReadTimeoutError(endpoint_url=self.endpoint_url, error=error) from error
        except aiohttp.ClientConnectorError as error:
            raise EndpointConnectionError(endpoint_url=self.endpoint_url, error=error) from error
        except aiohttp.ClientError as error:
            raise ConnectionClosedError(endpoint_url=self.endpoint_url, error=error) from error

    def _answer(self, name: str, reply: _Reply, retries: int) -> dict[str, Any] | ClientError:
        """The parsed answer, or the ClientError it is (a CRC32 mismatch is one too: retried as transient)."""
        metadata = {
            "RequestId": reply.headers.get("x-amzn-requestid", ""),
            "HTTPStatusCode": reply.status,
            "HTTPHeaders": reply.headers,
            "RetryAttempts": retries,
        }
        expected_crc = reply.headers.get("x-amz-crc32")
        if expected_crc is not None and expected_crc.isdigit() and int(expected_crc) != zlib.crc32(reply.body):
            mismatch = "the answer's CRC32 does not match its body"
            return _failure(name, metadata | {"HTTPStatusCode": 500}, "CRC32CheckFailed", mismatch)
        try:
            parsed = json.loads(reply.body) if reply.body else {}
        except ValueError:
            parsed = None
        if 200 <= reply.status < 300:
            if not isinstance(parsed, dict):  # a cut or foreign body: retried, as botocore does
                not_json = "the answer is not a JSON object"
                return _failure(name, metadata | {"HTTPStatusCode": 502}, "InvalidResponse", not_json)
            if may_hold_binary(reply.body):
                parsed = _decode_binary(parsed)
            # botocore leaves out null members (and members its model does not know: kept here, never read).
            answer = {member: value for member, value in parsed.items() if value is not None}
            return answer | {"ResponseMetadata": metadata}
        stripped = reply.body.strip()
        if reply.status >= 500 and (not stripped or stripped.startswith(b"<html>")):  # botocore's generic error
            phrase = HTTPStatus(reply.status).phrase if reply.status < 600 else ""
            return _failure(name, metadata, str(reply.status), phrase)
        if not isinstance(parsed, dict):  # a proxy's page, a server's crash page: botocore's message is the body
            parsed = {"message": reply.body.decode("utf-8", "replace")}
        elif may_hold_binary(reply.body):  # a failed condition's Item
            parsed = _decode_binary(parsed)
        kind = str(parsed.pop("__type", None) or reply.status)
        code = kind.split(":", 1)[0].rsplit("#", 1)[-1]
        return _failure(name, metadata, code, parsed.get("message", parsed.get("Message", "")), parsed)


def _failure(
    operation: str, metadata: dict[str, Any], code: str, message: str, members: dict[str, Any] | None = None
) -> ClientError:
    """The ClientError botocore would raise: the error's code and message, its other members, ResponseMetadata."""
    response = (members or {}) | {"Error": {"Code": code, "Message": message}, "ResponseMetadata": metadata}
    return ClientError(response, operation)  # type: ignore[arg-type]  # botocore-stubs types the response narrowly


def _retryable(error: ClientError) -> bool:
    code = error.response.get("Error", {}).get("Code", "")
    status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return code in THROTTLING_CODES or code in TRANSIENT_CODES or status in TRANSIENT_STATUSES
