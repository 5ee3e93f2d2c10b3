"""Operators' view: one JSON log line per request, Prometheus metrics at /metrics, consumed capacity."""

from __future__ import annotations

import logging
import re

import pytest

from tests.operations import CANONICAL
from tests.support import Api, logged

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


def _metric(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{") and not line.startswith(name + " "):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


def test_one_json_log_line_per_request_with_its_cost(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="graphql_api.request"):
        response = api.post(CANONICAL, {"id": api.data.canonical.customer_id})
        api.post('query Bad { customer(customerId: "nope") { name } }')
    lines = logged(caplog.records)
    assert len(lines) == 2
    good, bad = lines
    assert good["operations"] == ["Canonical"]
    assert good["status"] == 200
    assert good["dynamodbRequests"] == 4
    assert good["errorCodes"] == []
    assert good["requestId"] == response.headers["x-request-id"]
    assert good["durationMs"] > 0
    assert bad["operations"] == ["Bad"]
    assert bad["errorCodes"] == ["BAD_USER_INPUT"]
    assert bad["dynamodbRequests"] == 0


def test_http_level_rejections_are_logged_with_their_code(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="graphql_api.request"):
        api.client.post("/graphql", json=[{"query": "{ __typename }"}] * 11)
        api.client.post(
            "/graphql", content=b"{" + b" " * (2 * 1024 * 1024) + b"}", headers={"content-type": "application/json"}
        )
    lines = logged(caplog.records)
    assert [(line["status"], line["errorCodes"]) for line in lines] == [
        (400, ["QUERY_TOO_COMPLEX"]),
        (413, ["BAD_USER_INPUT"]),
    ]


def test_consumed_capacity_is_summed_per_request(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="graphql_api.request"):
        api.post(CANONICAL, {"id": api.data.canonical.customer_id})
    line = logged(caplog.records)[0]
    # Both backends report capacity for reads: strongly consistent, about 1 unit per small item.
    assert line["consumedCapacity"] >= 60


def test_metrics_count_requests_calls_and_errors(api: Api) -> None:
    before = api.client.get("/metrics").text
    api.post(CANONICAL, {"id": api.data.canonical.customer_id})
    api.post('query Bad { customer(customerId: "nope") { name } }')
    after = api.client.get("/metrics")
    assert after.headers["content-type"].startswith("text/plain")
    text = after.text
    for name, labels, delta in [
        ("graphql_request_duration_seconds_count", {"operation": "Canonical"}, 1),
        ("dynamodb_calls_total", {"table": "Orders", "operation": "query"}, 1),
        ("dynamodb_calls_total", {"table": "Products", "operation": "batch_get_item"}, 1),
        ("graphql_errors_total", {"code": "BAD_USER_INPUT"}, 1),
    ]:
        assert _metric(text, name, **labels) - _metric(before, name, **labels) == delta, (name, labels)
    assert re.search(r"^dynamodb_consumed_capacity_units_total\{table=\"Products\"\} \d", text, re.M)
    assert "dynamodb_throttles_total" in text
