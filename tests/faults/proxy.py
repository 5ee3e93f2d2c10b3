"""A fault-injecting HTTP proxy between the service and a DynamoDB-compatible server.

It forwards every request to the real backend and, as configured at run time, answers a seeded
fraction of them with faults DynamoDB really produces:

- `throttle`: a throttling error instead of forwarding (HTTP 400 with the error type in the
  body's `__type`, which is what botocore's JSON parser reads, and in `x-amzn-ErrorType`):
  `ProvisionedThroughputExceededException`, `ThrottlingException` or `RequestLimitExceeded`.
  Nothing reaches the backend.
- `transaction_throttle`: a `TransactWriteItems` answered, instead of forwarded, with the
  `TransactionCanceledException` DynamoDB gives when an item of the transaction is throttled
  (one cancellation reason per action, one of them `ThrottlingError`).
- `unprocessed`: in a forwarded `BatchGetItem` answer, a fraction of the returned items moved to
  `UnprocessedKeys` (their keys, named as in the request); in a `BatchWriteItem` answer, a
  fraction of the written requests reported back in `UnprocessedItems` (they were applied;
  writing them again is what a client does, and puts and deletes are idempotent).
- `server_error`: the request is forwarded (so a write happens) but the answer is replaced by an
  HTTP 500 `InternalServerError`: the ambiguous failure that idempotency exists for.
- `late(count, seconds)`: the next `count` requests of the given operations (by default every
  write) are forwarded (so a write happens) and their true answer is held `seconds` before it is
  sent: past the client's read timeout, the client gives up and retries (botocore retries a
  `ReadTimeoutError`), which is the other way a write's outcome gets lost. Not drawn from the RNG:
  a test says exactly which write is answered late.

It can also be `down()` (the listener closed and open connections dropped: connections are
refused, as when DynamoDB is stopped), `hang()` (connections accepted, requests read and never
answered: a stalled server, which only timeouts bound) and `up()` again on the same port.

It runs in a thread with its own event loop (aiohttp, already a dependency of aiobotocore) and
counts the requests it saw and the faults it injected, by kind. Decisions come from one seeded
`random.Random`, drawn in a fixed order per request, so a sequential run is reproducible.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import threading
import uuid
import zlib
from collections import Counter
from collections.abc import Coroutine
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Literal, Self

from aiohttp import ClientSession, ClientTimeout, web

from graphql_api.local.embedded import free_port

Mode = Literal["up", "down", "hang"]

JSON_CONTENT_TYPE = "application/x-amz-json-1.0"
DYNAMODB_NAMESPACE = "com.amazonaws.dynamodb.v20120810"
# How long a hung request is held at most before its connection is dropped.
HANG_LIMIT_SECONDS = 30.0
WRITE_OPERATIONS = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
UPSTREAM_TIMEOUT_SECONDS = 30.0
CONTROL_TIMEOUT_SECONDS = 10.0
# Hop-by-hop and recomputed headers: never copied between the two sides.
_SKIPPED_HEADERS = frozenset(
    {"host", "content-length", "transfer-encoding", "connection", "keep-alive", "accept-encoding", "server", "date"}
)

THROTTLES: tuple[tuple[str, str], ...] = (
    (
        f"{DYNAMODB_NAMESPACE}#ProvisionedThroughputExceededException",
        "The level of configured provisioned throughput for the table was exceeded.",
    ),
    ("com.amazon.coral.availability#ThrottlingException", "Rate of requests exceeds the allowed throughput."),
    (f"{DYNAMODB_NAMESPACE}#RequestLimitExceeded", "Throughput exceeds the current throughput limit for your account."),
)


@dataclass(frozen=True)
class Faults:
    """Fractions (0..1) of requests, or of items, that get each fault."""

    throttle: float = 0.0
    unprocessed: float = 0.0
    server_error: float = 0.0
    transaction_throttle: float = 0.0


@dataclass
class Counts:
    """What the proxy saw and did since the last `reset()`."""

    requests: int = 0
    forwarded: int = 0
    throttled: int = 0
    unprocessed_keys: int = 0
    """BatchGetItem items moved from Responses into UnprocessedKeys."""
    unprocessed_items: int = 0
    """BatchWriteItem requests reported back in UnprocessedItems."""
    server_errors: int = 0
    hung: int = 0
    late: int = 0
    """Answers held past `late()`'s delay (the request was forwarded)."""
    by_operation: Counter[str] = field(default_factory=Counter)
    throttles_by_type: Counter[str] = field(default_factory=Counter)
    hung_by_table: Counter[str] = field(default_factory=Counter)
    """Hung requests by the (physical) tables they name: which code path was waiting."""

    def copy(self) -> Counts:
        return Counts(
            self.requests,
            self.forwarded,
            self.throttled,
            self.unprocessed_keys,
            self.unprocessed_items,
            self.server_errors,
            self.hung,
            self.late,
            Counter(self.by_operation),
            Counter(self.throttles_by_type),
            Counter(self.hung_by_table),
        )


class FaultProxy:
    """`with FaultProxy("http://127.0.0.1:8001", seed=1) as proxy:` point the service at `proxy.url`."""

    def __init__(self, upstream: str, *, seed: int = 0, host: str = "127.0.0.1") -> None:
        if not host.startswith("127.") and host != "localhost":
            raise ValueError("the fault proxy listens on loopback only")
        self.upstream = upstream.rstrip("/")
        self.host = host
        self.port = free_port(host)
        self.url = f"http://{host}:{self.port}"
        self._faults = Faults()
        self._counts = Counts()
        self._rng = random.Random(seed)
        self._lock = threading.Lock()
        self._mode: Mode = "up"
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._session: ClientSession | None = None
        self._server: web.Server | None = None
        self._listener: asyncio.Server | None = None
        self._released: asyncio.Event | None = None
        self._late_left = 0
        self._late_seconds = 0.0
        self._late_operations: frozenset[str] = WRITE_OPERATIONS

    # Control, from the test's thread.

    def __enter__(self) -> Self:
        self._thread.start()
        self._control(self._open())
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, traceback: TracebackType | None
    ) -> None:
        try:
            self._control(self._close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=CONTROL_TIMEOUT_SECONDS)
            if not self._thread.is_alive():
                self._loop.close()

    def configure(
        self,
        *,
        throttle: float = 0.0,
        unprocessed: float = 0.0,
        server_error: float = 0.0,
        transaction_throttle: float = 0.0,
        seed: int | None = None,
    ) -> None:
        """Set the fault fractions (0 turns a fault off); `seed` restarts the random sequence."""
        faults = Faults(throttle, unprocessed, server_error, transaction_throttle)
        for name, value in vars(faults).items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a fraction in [0, 1], not {value}")
        with self._lock:
            self._faults = faults
            if seed is not None:
                self._rng.seed(seed)

    def late(self, *, count: int = 1, seconds: float = 3.0, operations: frozenset[str] = WRITE_OPERATIONS) -> None:
        """Answer the next `count` requests of `operations` `seconds` late (forwarded at once); 0 turns it off."""
        if count < 0 or seconds < 0:
            raise ValueError("count and seconds cannot be negative")
        with self._lock:
            self._late_left = count
            self._late_seconds = seconds
            self._late_operations = operations

    def counts(self) -> Counts:
        with self._lock:
            return self._counts.copy()

    def reset(self) -> Counts:
        """The counts so far, and start counting from zero."""
        with self._lock:
            counts, self._counts = self._counts, Counts()
            return counts

    def down(self) -> None:
        """Stop listening and drop every open connection: new connections are refused."""
        self._control(self._set_mode("down"))

    def hang(self) -> None:
        """Accept connections and read requests, but answer none (until `up()` or `down()`)."""
        self._control(self._set_mode("hang"))

    def up(self) -> None:
        """Serve again, on the same port."""
        self._control(self._set_mode("up"))

    @property
    def mode(self) -> Mode:
        return self._mode

    def _control(self, work: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(work, self._loop).result(CONTROL_TIMEOUT_SECONDS)

    # The proxy's own event loop from here on.

    async def _open(self) -> None:
        self._released = asyncio.Event()
        self._session = ClientSession(timeout=ClientTimeout(total=UPSTREAM_TIMEOUT_SECONDS), auto_decompress=False)
        await self._listen()

    async def _close(self) -> None:
        await self._stop_listening()
        if self._session is not None:
            await self._session.close()

    async def _listen(self) -> None:
        self._server = web.Server(self._handle)
        self._listener = await self._loop.create_server(self._server, self.host, self.port, reuse_address=True)

    async def _stop_listening(self) -> None:
        assert self._released is not None
        self._released.set()
        if self._listener is None or self._server is None:
            return
        self._listener.close()
        await self._server.shutdown(timeout=1.0)
        await self._listener.wait_closed()
        self._listener = self._server = None

    async def _set_mode(self, mode: Mode) -> None:
        assert self._released is not None
        if mode == "down":
            await self._stop_listening()
        else:
            if self._listener is None:
                await self._listen()
            if mode == "hang":
                self._released.clear()
            else:
                self._released.set()
        with self._lock:
            self._mode = mode

    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        body = await request.read()
        operation = request.headers.get("X-Amz-Target", "").rpartition(".")[2]
        with self._lock:
            self._counts.requests += 1
            self._counts.by_operation[operation] += 1
            hang = self._mode == "hang"
            faults = self._faults
            if not hang and self._rng.random() < faults.throttle:
                return self._throttle()
            if not hang and operation == "TransactWriteItems" and self._rng.random() < faults.transaction_throttle:
                return self._throttle_transaction(body)
            delay = None
            if not hang and self._late_left > 0 and operation in self._late_operations:
                self._late_left -= 1
                self._counts.late += 1
                delay = self._late_seconds
        if hang:
            return await self._hold(request, _tables_named(body))

        assert self._session is not None
        headers = {name: value for name, value in request.headers.items() if name.lower() not in _SKIPPED_HEADERS}
        headers["Accept-Encoding"] = "identity"
        async with self._session.request(
            request.method, self.upstream + request.path_qs, headers=headers, data=body
        ) as upstream:
            answer = await upstream.read()
            status = upstream.status
            answer_headers = {
                name: value for name, value in upstream.headers.items() if name.lower() not in _SKIPPED_HEADERS
            }

        with self._lock:
            self._counts.forwarded += 1
            if self._rng.random() < faults.server_error:
                self._counts.server_errors += 1
                return _error(500, f"{DYNAMODB_NAMESPACE}#InternalServerError", "Internal server error")
            if status == 200 and faults.unprocessed > 0 and operation in ("BatchGetItem", "BatchWriteItem"):
                rewritten = self._unprocessed(operation, body, answer, faults.unprocessed)
                if rewritten is not None:
                    answer = rewritten
                    for name in [name for name in answer_headers if name.lower() == "x-amz-crc32"]:
                        answer_headers[name] = str(zlib.crc32(answer) & 0xFFFFFFFF)
        if delay is not None:
            # Applied upstream already; the client times out and retries meanwhile (the answer may go nowhere).
            await asyncio.sleep(delay)
        return web.Response(status=status, body=answer, headers=answer_headers)

    async def _hold(self, request: web.BaseRequest, tables: list[str]) -> web.StreamResponse:
        """A stalled server: keep the request until released (bounded), then drop the connection."""
        assert self._released is not None
        with self._lock:
            self._counts.hung += 1
            self._counts.hung_by_table.update(tables)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._released.wait(), HANG_LIMIT_SECONDS)
        if request.transport is not None:
            request.transport.abort()
        return web.Response(status=503)

    def _throttle(self) -> web.Response:
        """Called under the lock: one throttling answer, its type drawn from the seeded RNG."""
        error_type, message = THROTTLES[self._rng.randrange(len(THROTTLES))]
        self._counts.throttled += 1
        self._counts.throttles_by_type[error_type.rpartition("#")[2]] += 1
        return _error(400, error_type, message)

    def _throttle_transaction(self, body: bytes) -> web.Response:
        """Called under the lock: the transaction cancelled because one of its items was throttled."""
        actions = len(json.loads(body).get("TransactItems", [])) or 1
        reasons: list[dict[str, str]] = [{"Code": "None"} for _ in range(actions)]
        reasons[self._rng.randrange(actions)] = {
            "Code": "ThrottlingError",
            "Message": "Throughput exceeds the current capacity for one or more items.",
        }
        self._counts.throttled += 1
        self._counts.throttles_by_type["TransactionCanceledException[ThrottlingError]"] += 1
        listed = ", ".join(reason["Code"] for reason in reasons)
        return _error(
            400,
            f"{DYNAMODB_NAMESPACE}#TransactionCanceledException",
            f"Transaction cancelled, please refer cancellation reasons for specific reasons [{listed}]",
            CancellationReasons=reasons,
        )

    def _unprocessed(self, operation: str, request_body: bytes, answer_body: bytes, fraction: float) -> bytes | None:
        """Called under the lock: the answer with a fraction of its items unprocessed, or None if unchanged."""
        requested: dict[str, Any] = json.loads(request_body).get("RequestItems", {})
        answer: dict[str, Any] = json.loads(answer_body)
        moved = 0
        if operation == "BatchGetItem":
            unprocessed: dict[str, Any] = answer.get("UnprocessedKeys") or {}
            for table, items in answer.get("Responses", {}).items():
                asked = requested.get(table, {})
                key_names = set(asked["Keys"][0]) if asked.get("Keys") else set()
                kept = []
                for item in items:
                    if key_names <= set(item) and key_names and self._rng.random() < fraction:
                        others = {name: value for name, value in asked.items() if name != "Keys"}
                        unprocessed.setdefault(table, {**others, "Keys": []})["Keys"].append(
                            {name: item[name] for name in key_names}
                        )
                        moved += 1
                    else:
                        kept.append(item)
                items[:] = kept
            answer["UnprocessedKeys"] = unprocessed
            self._counts.unprocessed_keys += moved
        else:
            pending: dict[str, Any] = answer.get("UnprocessedItems") or {}
            for table, writes in requested.items():
                for write in writes:
                    if self._rng.random() < fraction:
                        pending.setdefault(table, []).append(write)
                        moved += 1
            answer["UnprocessedItems"] = pending
            self._counts.unprocessed_items += moved
        return json.dumps(answer).encode() if moved else None


def _error(status: int, error_type: str, message: str, **extra: Any) -> web.Response:
    body = json.dumps({"__type": error_type, "message": message, **extra}).encode()
    headers = {
        "Content-Type": JSON_CONTENT_TYPE,
        "x-amzn-ErrorType": error_type.rpartition("#")[2],
        "x-amzn-RequestId": uuid.uuid4().hex,
        "x-amz-crc32": str(zlib.crc32(body) & 0xFFFFFFFF),
    }
    return web.Response(status=status, body=body, headers=headers)


def _tables_named(body: bytes) -> list[str]:
    """The tables a DynamoDB request names (TableName, RequestItems or TransactItems)."""
    try:
        request = json.loads(body or b"{}")
    except ValueError:
        return []
    if "TableName" in request:
        return [request["TableName"]]
    if "RequestItems" in request:
        return sorted(request["RequestItems"])
    return sorted({next(iter(action.values()))["TableName"] for action in request.get("TransactItems", [])})
