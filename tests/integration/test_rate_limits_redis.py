"""Rate limits with their counters in a real redis-server (RATE_LIMIT_STORE=redis://..., or LIVE_BUS's Redis).

The limiter is the same as with DynamoDB (tests/integration/test_rate_limits.py); what is checked here is the
Redis store: one budget shared by two app instances, the counter's hash and its expiry, the LIVE_BUS fallback,
and Redis stopped or hung: the documented choice (RATE_LIMIT_FAIL_OPEN), logged, then Redis used again.
"""

from __future__ import annotations

import logging
import signal
import time
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import redis
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.issuer import bearer, shared_issuer
from tests.support import Api
from tests.support.live_bus import RedisServer

pytestmark = pytest.mark.one_backend  # the store under test is Redis: DynamoDB only serves the queries

ME = "query Me { me { name } }"  # one load by key: estimated 1, made 1
DAY = 86400


@pytest.fixture(scope="module")
def server() -> Iterator[RedisServer]:
    started = RedisServer()
    started.start()
    try:
        yield started
    finally:
        started.stop()


def subject() -> str:
    return f"rl-redis-{uuid.uuid4().hex[:10]}"


def post(client: TestClient, headers: dict[str, str], query: str = ME) -> Any:
    return client.post("/graphql", json={"query": query}, headers=headers)


def counter(url: str, settings: Settings, sub: str) -> tuple[dict[str, int], int]:
    """The hash of the subject's counter in this window and its seconds to live."""
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(match=f"{settings.table_prefix}ratelimit:*#{sub}#*"))
        assert len(keys) == 1, keys
        fields = {name.decode(): int(value) for name, value in client.hgetall(keys[0]).items()}
        return fields, int(client.ttl(keys[0]))


def test_two_instances_share_one_budget_through_redis(api: Api, server: RedisServer) -> None:
    # A generous timeout: on a loaded machine the limiter must wait for Redis here, not fail open.
    settings = api.settings.replace(
        rate_limit_store=server.url,
        rate_limit_customer=12,
        rate_limit_window_seconds=DAY,
        rate_limit_store_timeout=30.0,
    )
    sub = subject()
    caller = bearer(shared_issuer().token(sub))
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        with ThreadPoolExecutor(max_workers=10) as pool:
            answers = list(pool.map(lambda client: post(client, caller), [one, two] * 15))
        refused = next(answer for answer in answers if answer.status_code == 429)
        other = post(one, bearer(shared_issuer().token(subject())))
    statuses = [answer.status_code for answer in answers]
    assert statuses.count(200) == 12, statuses
    assert statuses.count(429) == 18
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert refused.headers["ratelimit"].startswith('"customer-requests";r=0;')
    # Refused by Redis, a query has run beside its charge (ME: 1 request); refused at once, it has made none.
    assert refused.headers["x-dynamodb-requests"] in ("0", "1")
    assert other.status_code == 200  # another identity at the same moment is served
    fields, ttl = counter(server.url, settings, sub)
    assert fields == {"requests": 12}  # ME makes the 1 request it is estimated at: nothing to reconcile
    assert DAY < ttl <= 2 * DAY  # a window after the window's end


def test_live_bus_names_the_store_when_rate_limit_store_is_unset(api: Api, server: RedisServer) -> None:
    settings = api.settings.replace(live_bus=server.url, rate_limit_window_seconds=DAY, rate_limit_store_timeout=30.0)
    assert settings.rate_limit_store is None
    sub = subject()
    with TestClient(create_app(settings)) as client:
        answer = post(client, bearer(shared_issuer().token(sub)))
    assert answer.status_code == 200, answer.text
    assert counter(server.url, settings, sub)[0] == {"requests": 1}


@pytest.mark.parametrize("fail_open", [True, False])
def test_redis_stopped_is_the_documented_choice_logged_then_redis_is_used_again(
    api: Api, fail_open: bool, caplog: pytest.LogCaptureFixture
) -> None:
    own = RedisServer()  # stopped and started: not the module's server
    own.start()
    settings = api.settings.replace(
        rate_limit_store=own.url, rate_limit_fail_open=fail_open, rate_limit_window_seconds=DAY
    )
    caller = bearer(shared_issuer().token(subject()))
    try:
        with (
            caplog.at_level(logging.WARNING, logger="graphql_api.http.rate_limit"),
            TestClient(create_app(settings)) as client,
        ):
            assert "ratelimit" in post(client, caller).headers  # charged in Redis
            own.stop()
            answer = post(client, caller, "{ __typename }")
            warnings = [record for record in caplog.records if record.getMessage() == "rate_limit_store_unavailable"]
            assert len(warnings) == 1
            assert "Redis" in warnings[0].error  # type: ignore[attr-defined]
            if fail_open:
                assert answer.status_code == 200, answer.text
                assert answer.json()["data"] == {"__typename": "Query"}
                assert "ratelimit" not in answer.headers
            else:
                assert answer.status_code == 503
                assert answer.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
            own.start()  # the same port: the limiter asks Redis again after a second
            deadline = time.monotonic() + 60
            while "ratelimit" not in (answer := post(client, caller)).headers:
                assert time.monotonic() < deadline, answer.text
                time.sleep(0.1)
            assert answer.status_code == 200
    finally:
        own.stop()


def test_redis_hung_costs_a_request_the_store_timeout(
    api: Api, server: RedisServer, caplog: pytest.LogCaptureFixture
) -> None:
    # 2 s, not less: a first charge (connecting to Redis) on a machine loaded by the whole suite took over 0.5 s.
    settings = api.settings.replace(rate_limit_store=server.url, rate_limit_store_timeout=2.0)
    assert server.process is not None
    with (
        caplog.at_level(logging.WARNING, logger="graphql_api.http.rate_limit"),
        TestClient(create_app(settings)) as client,
    ):
        caller = bearer(shared_issuer().token(subject()))
        assert "ratelimit" in post(client, caller).headers  # connected, charged
        server.process.send_signal(signal.SIGSTOP)  # accepts nothing, answers nothing
        try:
            started = time.monotonic()
            answer = post(client, caller, "{ __typename }")
            waited = time.monotonic() - started
        finally:
            server.process.send_signal(signal.SIGCONT)
    assert answer.status_code == 200, answer.text
    assert "ratelimit" not in answer.headers
    assert 2.0 <= waited < 10.0  # the timeout, not the client's own (5 s by default) nor a hang
    assert [record.getMessage() for record in caplog.records].count("rate_limit_store_unavailable") == 1
