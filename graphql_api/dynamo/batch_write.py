"""BatchWriteItem for bulk loads (seeding, backfills): chunks of 25, UnprocessedItems retried."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.errors import Throttled
from graphql_api.tables import Table

MAX_ITEMS_PER_REQUEST = 25


async def put_items(
    dynamo: Dynamo,
    table: Table,
    items: Iterable[Mapping[str, Any]],
    *,
    max_retries: int = 8,
    concurrency: int = 8,
    on_written: Callable[[int], None] | None = None,
) -> int:
    """Write every item (overwriting any with the same key); returns how many were written.

    `on_written(count)` is told of each batch once DynamoDB has taken all of it (progress)."""
    requests = [{"PutRequest": {"Item": serialize_item(item)}} for item in items]
    chunks = [
        requests[start : start + MAX_ITEMS_PER_REQUEST] for start in range(0, len(requests), MAX_ITEMS_PER_REQUEST)
    ]
    name = table.physical_name(dynamo.table_prefix)
    slots = asyncio.Semaphore(concurrency)

    async def write(chunk: list[dict[str, Any]]) -> None:
        async with slots:
            pending: dict[str, Any] = {name: chunk}
            for attempt in range(max_retries + 1):
                response = await dynamo.call("batch_write_item", RequestItems=pending)
                pending = response.get("UnprocessedItems") or {}
                if not pending:
                    if on_written is not None:
                        on_written(len(chunk))
                    return
                await asyncio.sleep(random.uniform(0, 0.05 * 2**attempt))  # noqa: S311 (jitter, not a secret)
            raise Throttled("DynamoDB did not accept every write in time; retry later")

    await asyncio.gather(*(write(chunk) for chunk in chunks))
    return len(requests)
