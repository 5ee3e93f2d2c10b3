"""The bus's messages and the instances' filter of repeats (graphql_api.live.bus), and the LIVE_BUS setting."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from graphql_api.live.bus import Delivered, _dispatch, gap_message, record_message
from graphql_api.settings import Settings, SettingsError


def record(sequence: str) -> dict[str, object]:
    return {
        "eventName": "MODIFY",
        "dynamodb": {
            "Keys": {"ThingId": {"S": "t1"}},
            "NewImage": {"ThingId": {"S": "t1"}, "Count": {"N": sequence}},
            "ApproximateCreationDateTime": datetime(2026, 12, 5, 12, 0, tzinfo=UTC),
            "SequenceNumber": sequence,
            "SizeBytes": 20,
        },
    }


def test_a_message_carries_the_shard_the_sequence_number_and_the_images_only() -> None:
    message = json.loads(record_message("shardId-1", record("100")))
    assert message["shard"] == "shardId-1"
    assert message["seq"] == "100"
    assert message["record"]["dynamodb"]["NewImage"]["Count"] == {"N": "100"}
    assert message["record"]["dynamodb"]["ApproximateCreationDateTime"] == 1796472000.0
    assert "SizeBytes" not in message["record"]["dynamodb"]


def test_a_republished_record_is_delivered_once_and_order_is_kept_per_shard() -> None:
    delivered: list[str] = []
    lost: list[str] = []
    seen = Delivered()
    # A relay published 1..3 and died before its checkpoint at 3; the next one resumes after 1.
    for shard, sequence in [("a", "1"), ("a", "2"), ("b", "7"), ("a", "3"), ("a", "2"), ("a", "3"), ("a", "4")]:
        message = json.loads(record_message(shard, record(sequence)))
        _dispatch(message, seen, lambda r: delivered.append(r["dynamodb"]["SequenceNumber"]), lost.append)
    assert delivered == ["1", "2", "7", "3", "4"]
    assert lost == []


def test_sequence_numbers_compare_as_numbers() -> None:
    seen = Delivered()
    assert seen.fresh("a", "99")
    assert seen.fresh("a", "100")  # as strings "100" < "99"
    assert not seen.fresh("a", "0000099")


def test_a_gap_closes_the_subscribers() -> None:
    lost: list[str] = []
    _dispatch(json.loads(gap_message("a")), Delivered(), lambda r: None, lost.append)
    assert len(lost) == 1
    assert "may have been missed" in lost[0]


@pytest.mark.parametrize("url", ["redis://cache:6379/0", "rediss://user:secret@cache.example:6380"])
def test_live_bus_takes_redis_urls(url: str) -> None:
    assert Settings(live_bus=url).live_bus == url


def test_live_bus_refuses_other_urls_without_echoing_them() -> None:
    with pytest.raises(SettingsError) as refused:
        Settings(live_bus="http://user:hunter2@cache:6379")
    assert "LIVE_BUS must be a redis:// or rediss:// URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)
    assert Settings(live_bus="").live_bus is None
