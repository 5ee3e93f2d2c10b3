"""The stream reader on a scripted DynamoDB Streams (responses shaped as the service returns them).

A split: the parent shard is read to its end before the children, so the changes of one item stay in
order. Throttling and an unreachable endpoint: the reader backs off and resumes after the last record
it handed on, losing and repeating nothing. An expired iterator is renewed the same way.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from botocore.exceptions import ClientError, EndpointConnectionError

from graphql_api.live.streams import StreamReader, StreamsCall

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/dev-Orders/stream/2026-11-30T00:00:00.000"


def record(sequence: int) -> dict[str, Any]:
    return {
        "eventName": "MODIFY",
        "dynamodb": {"SequenceNumber": f"{sequence:021d}", "NewImage": {"N": {"N": str(sequence)}}},
    }


def client_error(code: str) -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": code}}, "GetRecords")


class ScriptedStreams:
    """Shards with their records; GetRecords answers in pages of two, failing where the script says."""

    def __init__(self, shards: list[dict[str, Any]], records: dict[str, list[int]], failures: list[Exception]) -> None:
        self.shards = shards
        self.records = records
        self.failures = failures
        self.calls: list[tuple[str, dict[str, Any]]] = []

    async def __call__(self, operation: str, **params: Any) -> dict[str, Any]:
        self.calls.append((operation, params))
        if operation == "describe_stream":
            return {"StreamDescription": {"Shards": self.shards}}
        if operation == "get_shard_iterator":
            shard = params["ShardId"]
            after = params.get("SequenceNumber")
            start = 0
            if params["ShardIteratorType"] == "AFTER_SEQUENCE_NUMBER":
                start = next(i for i, s in enumerate(self.records[shard]) if f"{s:021d}" == after) + 1
            return {"ShardIterator": f"{shard}|{start}"}
        shard, position = params["ShardIterator"].split("|")
        if self.failures and shard == "child-1":
            raise self.failures.pop(0)
        start = int(position)
        sequence = self.records[shard]
        page = sequence[start : start + 2]
        closed = next(s for s in self.shards if s["ShardId"] == shard).get("SequenceNumberRange", {})
        ended = start + 2 >= len(sequence) and "EndingSequenceNumber" in closed
        return {
            "Records": [record(number) for number in page],
            "NextShardIterator": None if ended else f"{shard}|{min(start + 2, len(sequence))}",
        }


def from_the_beginning(streams: ScriptedStreams) -> StreamsCall:
    """The script's records stand for what is written after the reader started: LATEST reads them all."""

    async def call(operation: str, **params: Any) -> dict[str, Any]:
        if operation == "get_shard_iterator" and params["ShardIteratorType"] == "LATEST":
            params = {**params, "ShardIteratorType": "TRIM_HORIZON"}
        return await streams(operation, **params)

    return call


def read_all(call: StreamsCall, expected: int, meanwhile: Callable[[], Awaitable[None]] | None = None) -> list[int]:
    """Run a reader until it has handed on `expected` records; their sequence numbers, in order."""
    seen: list[int] = []

    async def run() -> None:
        done = asyncio.Event()

        async def deliver(item: dict[str, Any]) -> None:
            seen.append(int(item["dynamodb"]["SequenceNumber"]))
            if len(seen) >= expected:
                done.set()

        reader = StreamReader(
            call, ARN, deliver, min_idle=0.001, max_idle=0.005, max_backoff=0.01, rediscover_every=0.01
        )
        task = asyncio.get_running_loop().create_task(reader.run())
        if meanwhile:
            await meanwhile()
        await asyncio.wait_for(done.wait(), 5)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    asyncio.run(run())
    return seen


def test_after_a_split_the_parent_is_read_to_its_end_before_its_children() -> None:
    # At start the parent is open; then it closes and two children appear (as DescribeStream shows a split).
    streams = ScriptedStreams(
        shards=[{"ShardId": "parent", "SequenceNumberRange": {"StartingSequenceNumber": "1"}}],
        records={"parent": [1, 2, 3, 4, 5], "child-1": [6, 8, 10], "child-2": [7, 9]},
        failures=[],
    )

    async def split() -> None:
        await asyncio.sleep(0.05)
        streams.shards = [
            {"ShardId": "parent", "SequenceNumberRange": {"StartingSequenceNumber": "1", "EndingSequenceNumber": "5"}},
            {"ShardId": "child-1", "ParentShardId": "parent", "SequenceNumberRange": {"StartingSequenceNumber": "6"}},
            {"ShardId": "child-2", "ParentShardId": "parent", "SequenceNumberRange": {"StartingSequenceNumber": "7"}},
        ]

    seen = read_all(from_the_beginning(streams), 10, meanwhile=split)
    assert seen[:5] == [1, 2, 3, 4, 5]  # the whole parent first
    assert sorted(seen[5:]) == [6, 7, 8, 9, 10]
    assert [n for n in seen if n in (6, 8, 10)] == [6, 8, 10]
    assert [n for n in seen if n in (7, 9)] == [7, 9]


def test_throttling_an_outage_and_an_expired_iterator_lose_and_repeat_nothing() -> None:
    streams = ScriptedStreams(
        shards=[{"ShardId": "child-1", "SequenceNumberRange": {"StartingSequenceNumber": "1"}}],
        records={"child-1": list(range(1, 13))},
        failures=[],
    )
    scripted: list[Exception] = [
        client_error("LimitExceededException"),
        client_error("LimitExceededException"),
        EndpointConnectionError(endpoint_url="http://127.0.0.1:9"),
        client_error("ExpiredIteratorException"),
        client_error("ProvisionedThroughputExceededException"),
    ]
    reads = 0

    async def call(operation: str, **params: Any) -> dict[str, Any]:
        nonlocal reads
        if operation == "get_records":
            reads += 1
            if reads == 3:  # after two pages went through: resuming must start after them
                streams.failures = list(scripted)
        return await from_the_beginning(streams)(operation, **params)

    assert read_all(call, 12) == list(range(1, 13))
    assert not streams.failures  # every scripted failure happened
    renewed = [params for operation, params in streams.calls if operation == "get_shard_iterator"]
    assert [params["ShardIteratorType"] for params in renewed][1:] == ["AFTER_SEQUENCE_NUMBER"] * (len(renewed) - 1)
    assert len(renewed) == 1 + len(scripted)  # the first iterator, and a renewed one after each failure
