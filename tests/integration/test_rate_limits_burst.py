"""An over-budget caller as an attacker would be one: a concurrent burst, its cost counted for real.

A query is charged while it runs, so a caller over its budget still gets the queries it has in flight when
the store first refuses it executed (their answers discarded); from then on this instance refuses it at once,
with no DynamoDB request at all, until the window ends (docs/rate-limits.md#what-an-over-budget-caller-costs).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.repositories.rate_limits import Counted, Counter, DynamoRateLimitStore
from tests.integration.test_rate_limits import customer, limited, post
from tests.support import Api

BUDGET, IN_FLIGHT, BURST = 5, 8, 60


class StoreCharges:
    """The charges the app sends to the RateLimits table (each a real UpdateItem; counted, then sent)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()


@pytest.fixture
def store_charges(monkeypatch: pytest.MonkeyPatch) -> StoreCharges:
    charges = StoreCharges()
    real = DynamoRateLimitStore.charge

    async def counted(
        store: DynamoRateLimitStore, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]
    ) -> Counted:
        with charges._lock:
            charges.count += 1
        return await real(store, counter, amounts, limits)

    monkeypatch.setattr(DynamoRateLimitStore, "charge", counted)
    return charges


def test_a_burst_over_the_budget_runs_at_most_its_in_flight_queries_then_costs_no_dynamodb_request(
    api: Api, store_charges: StoreCharges
) -> None:
    attacker, bystander = customer(), customer()
    with TestClient(create_app(limited(api, rate_limit_customer=BUDGET))) as client:
        spent = [post(client, attacker).status_code for _ in range(BUDGET)]  # ME: 1 request each
        assert spent == [200] * BUDGET
        charged_before = store_charges.count
        with ThreadPoolExecutor(max_workers=IN_FLIGHT) as pool:
            burst = list(pool.map(lambda _: post(client, attacker), range(BURST)))
        statuses = [answer.status_code for answer in burst]
        executed = [answer for answer in burst if answer.headers["x-dynamodb-requests"] != "0"]
        burst_charges = store_charges.count - charged_before
        later = [post(client, attacker) for _ in range(10)]
        later_charges = store_charges.count - charged_before - burst_charges
        served = post(client, bystander)
    assert statuses == [429] * BURST
    assert all(answer.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED" for answer in burst)
    assert all("data" not in answer.json() for answer in burst), "a refused query's answer is discarded"
    # At most what was in flight when the first refusal came back ran, and asked the store; the rest nothing.
    assert len(executed) <= IN_FLIGHT, len(executed)
    assert 1 <= burst_charges <= IN_FLIGHT, burst_charges
    assert sum(int(answer.headers["x-dynamodb-requests"]) for answer in executed) == len(executed)
    assert [answer.status_code for answer in later] == [429] * 10
    assert all(answer.headers["x-dynamodb-requests"] == "0" for answer in later)
    assert later_charges == 0
    assert served.status_code == 200, served.text
