"""The single table's stream records as their old tables' (graphql_api.live.single_table_feed) and each change
delivered once across the two streams (graphql_api.live.dedupe): records as DynamoDB Streams give them."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any

from graphql_api.dynamo.serialization import serialize_item
from graphql_api.live.dedupe import SeenChanges
from graphql_api.live.single_table_feed import MISSED, SingleTableFeed, old_record
from graphql_api.ops.single_table import Layout
from graphql_api.repositories.orders import ORDERS

ORDER = {"OrderId": "ord_1", "CustomerId": "cus_1", "Status": "PENDING", "OrderDate": "2026-01-01T00:00:00Z"}


def order(version: int, **changes: Any) -> dict[str, Any]:
    return {**ORDER, "Version": version, **changes}


def record(old: dict[str, Any] | None, new: dict[str, Any] | None, sequence: str = "1") -> dict[str, Any]:
    images: dict[str, Any] = {"Keys": serialize_item({"OrderId": "ord_1"}), "SequenceNumber": sequence}
    if old is not None:
        images["OldImage"] = serialize_item(old)
    if new is not None:
        images["NewImage"] = serialize_item(new)
    return {"eventName": "MODIFY", "dynamodb": images}


def single(item: dict[str, Any]) -> dict[str, Any]:
    return Layout().to_single(ORDERS, item)


def single_record(old: dict[str, Any] | None, new: dict[str, Any] | None) -> dict[str, Any]:
    converted = record(old and single(old), new and single(new), sequence="9")
    converted["dynamodb"]["Keys"] = serialize_item({"PK": "CUSTOMER#cus_1", "SK": "ORDER#..."})
    return converted


def test_a_single_table_record_becomes_its_old_table_record() -> None:
    translated = old_record(single_record(order(1), order(2, Status="PAID")), Layout().from_single)
    assert translated is not None
    entity, as_old = translated
    assert entity is ORDERS
    assert as_old["dynamodb"]["Keys"] == serialize_item({"OrderId": "ord_1"})
    assert as_old["dynamodb"]["OldImage"] == serialize_item(order(1))
    assert as_old["dynamodb"]["NewImage"] == serialize_item(order(2, Status="PAID"))
    assert as_old["dynamodb"]["SequenceNumber"] == "9"


def test_an_item_of_no_entity_is_not_handed_on() -> None:
    assert old_record(record(None, {"PK": "x", "SK": "y"}), Layout().from_single) is None


def test_a_change_both_streams_carry_is_delivered_once_whichever_comes_first() -> None:
    layout = Layout()
    write = (order(1), order(2, Status="PAID"))
    for first, second in [(record(*write), single_record(*write)), (single_record(*write), record(*write))]:
        seen = SeenChanges()
        first_translated = old_record(first, layout.from_single)
        second_translated = old_record(second, layout.from_single)
        as_old = [first if first_translated is None else first_translated[1]]
        as_old.append(second if second_translated is None else second_translated[1])
        assert [seen.first(each) for each in as_old] == [True, False]


def test_a_stale_copy_is_dropped_and_later_writes_go_on() -> None:
    seen = SeenChanges()
    assert seen.first(record(order(1), order(2, Status="PAID")))
    assert seen.first(record(order(2, Status="PAID"), order(3, Status="SHIPPED")))
    assert not seen.first(record(order(1), order(2, Status="PAID")))  # the lagging stream's copy
    # The rollback's copy back: the old table's stale item rewritten to what was delivered last.
    assert not seen.first(record(order(1), order(3, Status="SHIPPED")))
    assert seen.first(record(order(3, Status="SHIPPED"), None))  # removed
    assert not seen.first(record(order(3, Status="SHIPPED"), None))
    assert seen.first(record(None, order(1)))  # created again after its removal: a new history


def test_what_one_stream_carries_is_all_delivered() -> None:
    """A write outside the API at the same Version, and an unversioned item, are changes all the same."""
    seen = SeenChanges()
    assert seen.first(record(order(2), order(2, Status="SHIPPED")))
    assert seen.first(record(order(2, Status="SHIPPED"), order(2, Status="PAID")))
    counter = {"Key": "c", "Count": 1}
    assert seen.first(record(counter, {**counter, "Count": 2}))
    assert seen.first(record({**counter, "Count": 2}, counter))


def test_a_rewrite_of_the_same_item_is_no_change() -> None:
    seen = SeenChanges()
    assert not seen.first(record(order(2), order(2)))
    assert seen.dropped == 1


class Phase:
    """What an instance's watcher says, as the feed asks it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def wanted(self) -> bool:
        return self.name in ("reads", "cutover")

    def single_writes(self) -> bool:
        return self.name == "cutover"


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline
        await asyncio.sleep(0.005)


def follower(phase: Phase, needed: Callable[[], bool], lost: list[str]) -> tuple[SingleTableFeed, list[str]]:
    """A feed whose reader only records that it runs (`running`), positioned at once."""
    running: list[str] = []

    async def read(deliver: Any, gap: Any, ready: asyncio.Event) -> None:
        running.append("reader")
        ready.set()
        try:
            await asyncio.Event().wait()
        finally:
            running.remove("reader")

    async def dispatch(entity: Any, record: Any) -> None:
        return None

    feed = SingleTableFeed(
        read, Layout().from_single, dispatch, lost.append, phase.wanted, phase.single_writes, needed, check_every=0.01
    )
    return feed, running


def test_the_reader_follows_the_phase_and_reads_only_where_changes_are_followed() -> None:
    async def run() -> None:
        phase, lost, followed = Phase("verify"), list[str](), [False]
        feed, running = follower(phase, lambda: followed[0], lost)
        feed.start()
        phase.name = "reads"
        await until(lambda: feed.in_phase)
        assert running == []  # nothing followed yet
        await feed.caught_up()  # the first subscription's confirmation starts it
        assert running == ["reader"]
        followed[0] = True
        phase.name = "cutover"
        checked = feed.checks
        await until(lambda: feed.checks > checked + 2)  # the reader keeps running, nobody is told of a gap
        assert (running, lost) == (["reader"], [])
        phase.name = "design"  # rolled back
        await until(lambda: not running)
        phase.name = "reads"
        await until(lambda: running == ["reader"])
        await feed.close()
        assert (running, lost) == ([], [])

    asyncio.run(run())


def test_an_instance_that_missed_the_reads_phase_closes_its_subscribers() -> None:
    async def run() -> None:
        phase, lost = Phase("verify"), list[str]()
        feed, running = follower(phase, lambda: True, lost)
        feed.start()
        phase.name = "cutover"
        await until(lambda: running == ["reader"])
        assert lost == [MISSED]
        await feed.close()

    asyncio.run(run())


def test_nothing_is_read_where_no_change_is_followed() -> None:
    """The Lambda function's app: no subscription, no audit trail, no catalog version."""

    async def run() -> None:
        phase = Phase("cutover")
        feed, running = follower(phase, lambda: False, [])
        feed.start()
        await until(lambda: feed.checks > 2)
        assert running == []
        await feed.close()

    asyncio.run(run())
