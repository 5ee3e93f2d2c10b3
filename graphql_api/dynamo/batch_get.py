"""BatchGetItem across tables: chunked at 100 keys, UnprocessedKeys retried, never silently partial.

The keys of several tables that are pending together go out in the same request where they fit,
and the chunks of one call run concurrently, so a wave of loads costs ceil(keys / 100) requests
and one round trip.
"""

from __future__ import annotations

import asyncio
import random
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_value
from graphql_api.errors import Throttled
from graphql_api.metrics import DYNAMODB_THROTTLES
from graphql_api.tables import Table

MAX_KEYS_PER_REQUEST = 100

KeyValues = tuple[Any, ...]
TableKey = tuple[Table, KeyValues]


async def batch_get(
    dynamo: Dynamo,
    keys: Sequence[TableKey],
    *,
    max_retries: int = 6,
    base_delay: float = 0.025,
) -> list[Item | None]:
    """Items for `keys` in the order asked, None where an item does not exist."""
    unique = list(dict.fromkeys(keys))
    chunks = [unique[start : start + MAX_KEYS_PER_REQUEST] for start in range(0, len(unique), MAX_KEYS_PER_REQUEST)]
    found: dict[TableKey, Item] = {}
    for chunk_found in await asyncio.gather(*(_get_chunk(dynamo, chunk, max_retries, base_delay) for chunk in chunks)):
        found.update(chunk_found)
    return [found.get(key) for key in keys]


async def _get_chunk(
    dynamo: Dynamo, keys: Sequence[TableKey], max_retries: int, base_delay: float
) -> dict[TableKey, Item]:
    by_name = {table.physical_name(dynamo.table_prefix): table for table, _ in keys}
    # Strongly consistent: a client reads its own writes on the next request.
    request: dict[str, Any] = defaultdict(lambda: {"Keys": [], "ConsistentRead": True})
    for table, values in keys:
        key = {name: serialize_value(value) for name, value in zip(table.key_names, values, strict=True)}
        request[table.physical_name(dynamo.table_prefix)]["Keys"].append(key)

    found: dict[TableKey, Item] = {}
    pending: dict[str, Any] = dict(request)
    for attempt in range(max_retries + 1):
        response = await dynamo.call("batch_get_item", RequestItems=pending)
        for physical_name, items in response.get("Responses", {}).items():
            table = by_name[physical_name]
            for attributes in items:
                item = deserialize_item(attributes)
                found[(table, tuple(item[name] for name in table.key_names))] = item
        pending = response.get("UnprocessedKeys") or {}
        if not pending:
            return found
        DYNAMODB_THROTTLES.labels("batch_get_item_unprocessed").inc()
        if attempt < max_retries:
            # Exponential backoff with full jitter, as AWS recommends for UnprocessedKeys.
            await asyncio.sleep(random.uniform(0, base_delay * 2**attempt))  # noqa: S311 (jitter, not a secret)
    raise Throttled("DynamoDB did not return every requested item in time; retry later")
