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
        self.read_units = 0.0
        self.examined = 0

    def record_dynamodb_request(self, operation: str) -> None:
        self.operations.append(operation)

    def add_capacity(self, units: float) -> None:
        self.units += units

    def add_read(self, units: float, items_examined: int) -> None:
        self.read_units += units
        self.examined += items_examined


async def _answer(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    """What DynamoDB answers about capacity: the transport itself is botocore's, not under test here."""
    request_sent(f"before-send.dynamodb.{operation}")
    answer: dict[str, Any] = {"ConsumedCapacity": [{"TableName": "Products", "CapacityUnits": 1.5}]}
    if operation == "query":
        answer |= {"Items": [{}], "Count": 1, "ScannedCount": 7}  # 7 examined, 1 kept by a filter
    if operation == "get_item":
        answer |= {"Item": {}}
    if operation == "batch_get_item":
        answer |= {"Responses": {"Products": [{}, {}], "Orders": [{}]}}
    return answer


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
    assert (tally.read_units, tally.examined) == (3.0, 8)


def test_reads_report_the_items_examined_and_writes_no_read_capacity() -> None:
    dynamo = Dynamo(_answer, "")
    tally = Tally()

    async def calls() -> None:
        with observed_by(tally):
            await dynamo.call("batch_get_item", RequestItems={"Products": {}, "Orders": {}})
            await dynamo.call("update_item", TableName="Products")

    asyncio.run(calls())
    assert tally.units == 3.0  # all capacity, reads and writes
    assert (tally.read_units, tally.examined) == (1.5, 3)  # the read's only: the 3 items it returned


def test_a_request_scope_is_the_observer_of_its_block() -> None:
    dynamo = Dynamo(_answer, "")

    async def in_scope() -> float:
        with request_scope() as scope:
            await dynamo.call("batch_get_item", RequestItems={"Products": {}})
        await dynamo.call("query", TableName="Products")  # after the block: counted nowhere
        return scope.consumed_capacity

    units = asyncio.run(in_scope())
    assert units == 1.5
