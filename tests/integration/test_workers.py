"""`graphql-api serve --workers 2`: two processes on one socket behave as one service.

Cursors signed by one worker are followed by the other (one CURSOR_SECRET), an idempotency key holds
across them (the order id is derived from it, in DynamoDB), and /metrics counts the requests of both,
whichever worker answers the scrape.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator

import httpx
import pytest

from graphql_api.local.embedded import free_port
from tests.backends import ROOT, wait_for_port
from tests.issuer import admin_headers
from tests.operations import PLACE_ORDER, create_customer, create_product, order_input
from tests.support import Api, post_concurrently

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

PAGE = """query($after: String) { productsByCategory(category: "canonical", first: 7, after: $after) {
  edges { node { productId } } pageInfo { hasNextPage endCursor } } }"""


@pytest.fixture(scope="module")
def two_workers(api: Api) -> Iterator[str]:
    settings = api.settings
    port = free_port()
    env = {
        **os.environ,
        "DYNAMODB_ENDPOINT_URL": settings.dynamodb_endpoint_url or "",
        "TABLE_PREFIX": settings.table_prefix,
        "CURSOR_SECRET": ",".join(settings.cursor_secrets),
        "AUTH_ISSUER": settings.auth_issuer or "",
        "AUTH_AUDIENCE": ",".join(settings.auth_audience),
        "LOG_LEVEL": "WARNING",
    }
    command = [sys.executable, "-m", "graphql_api.cli", "serve", "--workers", "2", "--port", str(port)]
    with open(ROOT / "test-artifacts" / "workers.log", "ab") as log:
        process = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        try:
            wait_for_port("127.0.0.1", port, process)
            yield f"http://127.0.0.1:{port}/graphql"
        finally:
            process.terminate()
            process.wait(timeout=30)


def test_a_cursor_walk_over_fresh_connections_reaches_every_product(two_workers: str, api: Api) -> None:
    expected = {p.product_id for p in api.data.dataset.products if p.category == "canonical"}
    found: list[str] = []
    after = None
    for _ in range(20):
        # A new connection per page: the pages land on both workers.
        body = httpx.post(
            two_workers, json={"query": PAGE, "variables": {"after": after}}, headers={"Connection": "close"}
        ).json()
        assert "errors" not in body, body
        page = body["data"]["productsByCategory"]
        found += [edge["node"]["productId"] for edge in page["edges"]]
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]
    assert sorted(found) == sorted(expected)
    assert len(found) == len(expected)


def test_an_idempotency_key_holds_across_workers(two_workers: str, api: Api) -> None:
    product = create_product(api, stock=50)
    customer = create_customer(api)
    key = f"workers-{uuid.uuid4().hex[:8]}"
    bodies = [
        {
            "query": PLACE_ORDER,
            "variables": {"input": order_input(customer["customerId"], [(product["productId"], 2)], key)},
        }
        for _ in range(10)
    ]
    results = asyncio.run(post_concurrently(two_workers, bodies))
    orders = {body["data"]["placeOrder"]["orderId"] for body in results if not body.get("errors")}
    assert len(orders) == 1
    stock = api.data_of("query($id: ID!) { product(productId: $id) { stock } }", {"id": product["productId"]})
    assert stock["product"]["stock"] == 48


def _requests_counted(url: str) -> float:
    text = httpx.get(url.replace("/graphql", "/metrics"), headers={"Connection": "close"}).text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if re.match(r'graphql_request_duration_seconds_count\{operation="CountMe"\}', line)
    )


def test_metrics_count_the_requests_of_both_workers(two_workers: str) -> None:
    before = _requests_counted(two_workers)
    for _ in range(40):
        httpx.post(
            two_workers,
            json={"query": "query CountMe { __typename }"},
            headers={"Connection": "close", **admin_headers()},
        )
    # Whichever worker answers each scrape, it reports the sum over both.
    scrapes = {_requests_counted(two_workers) - before for _ in range(6)}
    assert scrapes == {40.0}
