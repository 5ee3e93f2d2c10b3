"""CPU per DynamoDB call: the service's own data-plane client against aiobotocore's, side by side in one run.

    .venv/bin/python -m bench.data_plane [--calls 300] [--rounds 3]

Starts DynamoDB Local, writes 60 items, and opens the service's client twice in this process
(graphql_api.dynamo.client.open_dynamo with DYNAMODB_CLIENT=aiohttp, the default, and =aiobotocore, which
sends every call through botocore with the fast parser). Round by round, the order rotated, each makes
`--calls` GetItem and `--calls` BatchGetItem of the 60 items, one after the other, and the process's CPU
time per call is taken: DynamoDB Local runs in its own process, so what is measured is the client's side
alone (serializing, signing, HTTP, parsing, retries' bookkeeping). Medians of the rounds are printed.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from typing import Any

from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.settings import Settings
from tests.backends import dynamodb_local

TABLE = "Items"
TRANSPORTS = ("aiohttp", "aiobotocore")


async def prepare(dynamo: Dynamo) -> None:
    await dynamo.call(
        "create_table",
        TableName=TABLE,
        KeySchema=[{"AttributeName": "ItemId", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "ItemId", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    for number in range(60):
        item = {
            "ItemId": {"S": f"item-{number:03d}"},
            "Name": {"S": f"Product {number}"},
            "Price": {"N": "12.50"},
            "Version": {"N": "1"},
            "UpdatedAt": {"S": "2026-12-06T00:00:00.000000Z"},
        }
        await dynamo.call("put_item", TableName=TABLE, Item=item)


async def measure(endpoint: str, calls: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    keys = [{"ItemId": {"S": f"item-{number:03d}"}} for number in range(60)]
    found: dict[str, dict[str, list[float]]] = {name: {"GetItem": [], "BatchGetItem": []} for name in TRANSPORTS}
    async with AsyncExitStack() as stack:
        clients = {
            transport: await stack.enter_async_context(
                open_dynamo(Settings(dynamodb_endpoint_url=endpoint, table_prefix="", dynamodb_client=transport))
            )
            for transport in TRANSPORTS
        }
        await prepare(clients["aiobotocore"])
        for round_number in range(rounds):
            order = TRANSPORTS if round_number % 2 == 0 else tuple(reversed(TRANSPORTS))
            for transport in order:
                dynamo = clients[transport]
                asks: dict[str, Callable[[], Awaitable[Any]]] = {
                    "GetItem": functools.partial(dynamo.call, "get_item", TableName=TABLE, Key=keys[1]),
                    "BatchGetItem": functools.partial(
                        dynamo.call, "batch_get_item", RequestItems={TABLE: {"Keys": keys, "ConsistentRead": True}}
                    ),
                }
                for operation, ask in asks.items():
                    assert await ask()  # warm, and answered
                    cpu = time.process_time()
                    for _ in range(calls):
                        await ask()
                    found[transport][operation].append((time.process_time() - cpu) / calls * 1e6)
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with dynamodb_local() as endpoint:
        found = asyncio.run(measure(endpoint, args.calls, args.rounds))
    print(f"CPU per call, this process (median of {args.rounds} rounds of {args.calls} calls)")
    for operation in ("GetItem", "BatchGetItem"):
        ours, theirs = (statistics.median(found[transport][operation]) for transport in TRANSPORTS)
        print(f"{operation:<14} aiohttp {ours:6.0f} us   aiobotocore {theirs:6.0f} us   ratio {ours / theirs:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
