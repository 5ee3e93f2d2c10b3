"""Which layout answers a read: the share of each access pattern moved to the single table, and the shadow reads.

`route_reads(dynamo, router)` makes the request path's client route every read of a data table by its access
pattern (graphql_api.migration.read_translation) and a stable hash of the request id against the pattern's
percentage (`graphql-api migrate reads`): one request reads one layout per pattern, a retried request the same.
Writes and the service tables' reads pass through untouched.

Shadow reads: for `shadow:<pattern>` percent of requests (`shadow:*` for all), the other layout is read too, in a
task of its own and after the answer, and the two answers compared (items and LastEvaluatedKey); the outcome is
counted in graphql_migration_shadow_reads_total and a difference is logged with the pattern and the request's key
(never the data). The shadow read is nobody's: it is outside the request's observer (not in `extensions.cost`,
not charged to the caller's rate budget) and goes around the client's call metrics; its errors are counted,
never raised. A request the translator cannot express reads the old tables.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Callable, Mapping
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import unobserved
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.metrics import MIGRATION_READS, MIGRATION_SHADOW_READS
from graphql_api.migration.expressions import Unsupported
from graphql_api.migration.layout import Layout
from graphql_api.migration.phase import MIGRATION, PHASE_KEY, MigrationState, current_phase, read_state, reads_key
from graphql_api.migration.read_translation import WRITE_PATH, ReadTranslator, Send
from graphql_api.migration.watch import MigrationSnapshot, MigrationWatch

logger = logging.getLogger(__name__)

SHADOW = "shadow:"
"""Prefix of a pattern's shadow percentage among the read percentages (`reads#shadow:AP3`, `reads#shadow:*`)."""


PATTERNS = tuple(f"AP{number}" for number in range(1, 15))
READS_PHASE = "reads"
SINGLE_PHASES = frozenset({"cutover", "finalized"})


def shares_for(snapshot: MigrationSnapshot) -> Mapping[str, int]:
    """The percentages a phase lets the router use: the recorded ones in `reads` (shadows included), every read
    from the single table once it alone is written (cutover), none before `reads` (nor after a rollback)."""
    if snapshot.phase in SINGLE_PHASES:
        return {"*": 100, WRITE_PATH: 100}
    return snapshot.reads if snapshot.phase == READS_PHASE else {}


class NotNow(Exception):
    """The phase does not allow moving reads (only `reads` does), or the pattern or percentage is not one."""


async def set_read_percent(dynamo: Dynamo, pattern: str, percent: int, *, shadow: bool = False) -> dict[str, int]:
    """Record `pattern`'s percentage (its shadow percentage with `shadow`), in the `reads` phase only: one
    transaction with a check of the phase, so a phase change cannot slip between. Returns every percentage."""
    if pattern != "*" and pattern not in PATTERNS:
        raise NotNow(f"{pattern!r} is not an access pattern (AP1 ... AP14, or * for all)")
    if not 0 <= percent <= 100:
        raise NotNow(f"{percent} is not a percentage (0 to 100)")
    table = MIGRATION.table.physical_name(dynamo.table_prefix)
    state = MigrationState(key=reads_key((SHADOW if shadow else "") + pattern), percent=percent)
    try:
        await dynamo.call(
            "transact_write_items",
            TransactItems=[
                {
                    "ConditionCheck": {
                        "TableName": table,
                        "Key": serialize_item({"Key": PHASE_KEY}),
                        "ConditionExpression": "Phase = :reads",
                        "ExpressionAttributeValues": serialize_item({":reads": READS_PHASE}),
                    }
                },
                {"Put": {"TableName": table, "Item": serialize_item(MIGRATION.to_item(state))}},
            ],
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
            raise
        phase = await current_phase(dynamo)
        raise NotNow(f"reads move in the {READS_PHASE} phase only; the phase is {phase.name}") from None
    _, reads = await read_state(dynamo)
    return reads


def bucket(request_key: str, salt: str = "") -> int:
    """0-99, stable for a request key: the request is in a share of `p` percent when its bucket is below `p`."""
    return int.from_bytes(hashlib.sha256((salt + request_key).encode()).digest()[:4], "big") % 100


class ReadRouter:
    """Routes reads by the percentages `reads()` gives now (the migration watcher's snapshot)."""

    def __init__(
        self,
        translator: ReadTranslator,
        reads: Callable[[], Mapping[str, int]],
        request_key: Callable[[], str],
    ) -> None:
        self.translator = translator
        self._reads = reads
        self._request_key = request_key
        self._shadows: set[asyncio.Task[None]] = set()

    @classmethod
    def following(
        cls, watch: MigrationWatch, layout: Layout, table_prefix: str, request_key: Callable[[], str]
    ) -> ReadRouter:
        """The router of an instance: the percentages its watcher last read, as the phase allows them."""
        return cls(ReadTranslator(layout, table_prefix), lambda: shares_for(watch.state), request_key)

    def percent(self, pattern: str, prefix: str = "") -> int:
        """A pattern's share (the least of a batch's patterns): its own, else `*`'s, else 0."""
        reads = self._reads()
        if pattern == WRITE_PATH:  # never by `*`: only where the writes go
            return 0 if prefix else reads.get(WRITE_PATH, 0)
        return min(reads.get(prefix + each, reads.get(prefix + "*", 0)) for each in pattern.split("+"))

    async def call(self, send: Send, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if not self._reads():  # no migration of reads under way: nothing to decide
            return await send(operation, params)
        pattern = self.translator.pattern_of(operation, params)
        if pattern is None:
            return await send(operation, params)
        key = self._request_key()
        single = bucket(key) < self.percent(pattern)
        try:
            answer = await self._read(send, operation, params, single)
        except Unsupported:
            single = False
            answer = await send(operation, params)
        MIGRATION_READS.labels(pattern, "single-table" if single else "faux-sql").inc()
        if bucket(key, SHADOW) < self.percent(pattern, SHADOW):
            with unobserved():  # the task copies this context: its calls are nobody's
                task = asyncio.create_task(self._shadow(send, operation, params, not single, answer, pattern, key))
            self._shadows.add(task)
            task.add_done_callback(self._shadows.discard)
        return answer

    async def _read(self, send: Send, operation: str, params: dict[str, Any], single: bool) -> dict[str, Any]:
        if single:
            return await self.translator.send(send, operation, dict(params))
        return await send(operation, params)

    async def _shadow(
        self,
        send: Send,
        operation: str,
        params: dict[str, Any],
        single: bool,
        answer: dict[str, Any],
        pattern: str,
        key: str,
    ) -> None:
        try:
            other = await self._read(send, operation, params, single)
        except Exception:
            MIGRATION_SHADOW_READS.labels(pattern, "error").inc()
            logger.warning("shadow read of %s failed (request %s)", pattern, key, exc_info=True)
            return
        if comparable(operation, other) == comparable(operation, answer):
            MIGRATION_SHADOW_READS.labels(pattern, "same").inc()
            return
        MIGRATION_SHADOW_READS.labels(pattern, "different").inc()
        logger.warning(
            "shadow read of %s differs (request %s, %s %s)", pattern, key, operation, _key_of_request(params)
        )

    async def drain(self) -> None:
        """Wait for the shadow reads under way (a test, a shutdown)."""
        while self._shadows:
            await asyncio.gather(*list(self._shadows), return_exceptions=True)


def comparable(operation: str, response: dict[str, Any]) -> Any:
    """What two layouts' answers must agree on: a Query's items in order and where it stopped; a BatchGetItem's
    items per table in any order (keys left unprocessed are retried by the caller)."""
    if operation == "query":
        return response.get("Items", []), response.get("LastEvaluatedKey")
    return {
        table: sorted(repr(sorted(item.items())) for item in items)
        for table, items in response.get("Responses", {}).items()
        if items
    }


def _key_of_request(params: dict[str, Any]) -> str:
    """The request's table and key values (its placeholders' values for a Query; its keys for a BatchGetItem)."""
    if "RequestItems" in params:
        return "; ".join(f"{table}: {request['Keys']}" for table, request in params["RequestItems"].items())
    return f"{params.get('TableName')}.{params.get('IndexName', '')} {params.get('ExpressionAttributeValues')}"


def route_reads(dynamo: Dynamo, router: ReadRouter) -> None:
    """`dynamo` reads through `router` from now on. In place, under the client's metrics, tracing and request
    observer (which see the routed requests): the same client object, so what else is keyed by it (dual-write's
    mirror) still applies."""
    send = dynamo._call

    async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return await router.call(send, operation, params)

    dynamo._call = call
