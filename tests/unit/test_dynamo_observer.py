"""The DynamoDB client tells the observer its caller's context registered, and nobody else, what each call cost.

The client knows nothing of HTTP: the request scope registers itself as the observer for its block.
"""

from __future__ import annotations

import asyncio
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import observed_by, request_sent
from graphql_api.request_scope import request_scope


class Tally:
    def __init__(self) -> None:
        self.operations: list[str] = []
        self.units = 0.0

    def record_dynamodb_request(self, operation: str) -> None:
        self.operations.append(operation)

    def add_capacity(self, units: float) -> None:
        self.units += units


async def _answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What DynamoDB answers about capacity: the transport itself is botocore's, not under test here."""
    request_sent(f"before-send.dynamodb.{operation}")
    return {"ConsumedCapacity": [{"TableName": "Products", "CapacityUnits": 1.5}]}


def test_the_observer_of_the_context_is_told_of_requests_and_capacity() -> None:
    dynamo = Dynamo(_answer, "")
    tally = Tally()

    async def calls() -> None:
        with observed_by(tally):
            await dynamo.call("query", TableName="Products")
            await asyncio.gather(dynamo.call("get_item", TableName="Products"))  # a task started in the block
        await dynamo.call("query", TableName="Products")  # after the block: told to nobody

    asyncio.run(calls())
    assert tally.operations == ["query", "get_item"]
    assert tally.units == 3.0


def test_a_request_scope_is_the_observer_of_its_block() -> None:
    dynamo = Dynamo(_answer, "")

    async def in_scope() -> float:
        with request_scope() as scope:
            await dynamo.call("batch_get_item", RequestItems={"Products": {}})
        await dynamo.call("query", TableName="Products")  # after the block: counted nowhere
        return scope.consumed_capacity

    units = asyncio.run(in_scope())
    assert units == 1.5
