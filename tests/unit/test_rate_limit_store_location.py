"""RATE_LIMIT_STORE: which store the limiter uses (graphql_api.http.rate_limit_store.store_location)."""

from __future__ import annotations

import pytest

from graphql_api.http.rate_limit_store import store_location
from graphql_api.settings import Settings, SettingsError, load_settings

BUS = "redis://bus.internal:6379/0"


@pytest.mark.parametrize(
    ("values", "location"),
    [
        ({}, "dynamodb"),
        ({"live_bus": BUS}, BUS),  # unset: the live-updates bus's Redis
        ({"live_bus": BUS, "rate_limit_store": "dynamodb"}, "dynamodb"),  # set: it wins
        ({"rate_limit_store": " Memory "}, "memory"),
        ({"rate_limit_store": "rediss://limits.internal:6380"}, "rediss://limits.internal:6380"),
        ({"rate_limit_store": ""}, "dynamodb"),
    ],
)
def test_the_store_is_rate_limit_store_else_live_bus_else_dynamodb(values: dict[str, str], location: str) -> None:
    assert store_location(Settings(**values)) == location


def test_a_bad_store_is_refused_without_echoing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RATE_LIMIT_STORE", "redis-ish://user:hunter2@cache")
    with pytest.raises(SettingsError) as refused:
        load_settings()
    assert "RATE_LIMIT_STORE must be dynamodb, memory or a redis:// or rediss:// URL" in str(refused.value)
    assert "hunter2" not in str(refused.value)
