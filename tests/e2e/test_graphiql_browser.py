"""GraphiQL in headless Chromium, offline: the page loads, runs the canonical query through `me` with a
customer's Authorization header, and shows its result."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import time
import urllib.parse
from pathlib import Path

from graphql_api.cli import ME_QUERY
from tests.backends import ROOT, local_default_process
from tests.e2e.conftest import ARTIFACTS, E2E, run_node
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import bearer, shared_issuer
from tests.live_client import active_subscriptions, until_subscribed
from tests.support import Api

SCREENSHOT = ARTIFACTS / "graphiql.png"


def test_graphiql_runs_the_canonical_query_in_a_browser(
    e2e_tools: Path, graphiql_assets: Path, api: Api, live_url: str
) -> None:
    canonical = api.data.canonical
    expected_orders = sorted(
        (order for order in api.data.dataset.orders if order.customer_id == canonical.customer_id),
        key=lambda order: order.order_date,
        reverse=True,
    )
    SCREENSHOT.unlink(missing_ok=True)

    headers = bearer(shared_issuer().token(CANONICAL_SUB))
    report = run_node(
        "graphiql.mjs", live_url, str(E2E / "operations" / "me.graphql"), "{}", json.dumps(headers), str(SCREENSHOT)
    )

    # Offline: nothing was asked of another origin, nothing refused by the page's policy, no script error.
    assert report["externalRequests"] == []
    assert report["failedRequests"] == []
    assert report["cspViolations"] == []
    assert report["pageErrors"] == []
    assert report["consoleErrors"] == []
    assert report["status"] == 200
    # The result pane holds the whole answer; its visible top shows the customer.
    shown = json.loads(report["result"])
    assert "errors" not in shown
    customer = shown["data"]["me"]
    assert customer["name"] == canonical.name
    assert [edge["node"]["orderId"] for edge in customer["orders"]["edges"]] == [o.order_id for o in expected_orders]
    assert all(len(edge["node"]["items"]) == 3 for edge in customer["orders"]["edges"])
    assert f'"name": "{canonical.name}"' in report["visibleResult"].replace("\u00a0", " ")
    assert SCREENSHOT.stat().st_size > 10_000


def test_in_the_local_default_a_person_opens_graphiql_and_presses_run(
    e2e_tools: Path, graphiql_assets: Path, tmp_path: Path
) -> None:
    """`graphql-api serve` as a newcomer runs it: the page opens on the `me` query with Ada's header."""
    screenshot = ARTIFACTS / "graphiql-local-default.png"
    with local_default_process(tmp_path) as local:
        report = run_node("graphiql.mjs", f"{local.url}/graphql", "-", "-", "-", str(screenshot))
    assert report["externalRequests"] == []
    assert report["cspViolations"] == []
    assert report["pageErrors"] == []
    assert report["editors"]["query"] == ME_QUERY
    assert json.loads(report["editors"]["headers"])["Authorization"].startswith("Bearer ")
    shown = json.loads(report["result"])
    assert "errors" not in shown, shown
    me = shown["data"]["me"]
    assert (me["name"], me["email"]) == ("Ada Lovelace", "ada@example.com")
    assert len(me["orders"]["edges"]) == 20


def test_in_the_local_default_a_graphiql_subscription_sees_changes_from_another_tab_and_from_boto3(
    e2e_tools: Path, graphiql_assets: Path, tmp_path: Path
) -> None:
    """GraphiQL subscribes to one of Ada's orders; it is cancelled through the API (another tab), then
    changed by boto3 straight in the embedded DynamoDB (as the AWS CLI would): GraphiQL shows both."""
    import boto3

    with local_default_process(tmp_path) as local:
        authorization = local.header.removeprefix("Authorization: ")
        product = local.post(
            '{ productsByCategory(category: "books", first: 1) { edges { node { productId } } } }', None
        )
        product_id = product.json()["data"]["productsByCategory"]["edges"][0]["node"]["productId"]
        placed = local.post(
            f'mutation {{ placeOrder(input: {{items: [{{productId: "{product_id}", quantity: 1}}]}}) {{ orderId }} }}',
            authorization,
        ).json()["data"]["placeOrder"]
        # Opened with the subscription in the address (a shared GraphiQL link), with Ada's header by default.
        subscription = (
            f'subscription WatchOrder {{ orderChanged(orderId: "{placed["orderId"]}") {{ orderId status }} }}'
        )
        graphql_url = f"{local.url}/graphql"
        page = f"{graphql_url}?q={urllib.parse.quote(subscription)}"
        before = asyncio.run(active_subscriptions(graphql_url))
        node = subprocess.Popen(
            ["node", str(E2E / "graphiql.mjs"), page, "-", "-", "-", str(ARTIFACTS / "graphiql-live.png")],
            cwd=ROOT,
            env={**os.environ, "WAIT_FOR": '"CANCELLED","DELIVERED"'},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            asyncio.run(until_subscribed(graphql_url, before + 1, within=60))
            cancelled = local.post(
                f'mutation {{ cancelOrder(orderId: "{placed["orderId"]}", expectedVersion: 1) {{ status }} }}',
                authorization,
            )
            assert cancelled.json()["data"]["cancelOrder"]["status"] == "CANCELLED"
            time.sleep(1)  # GraphiQL shows one event at a time: let it show this one
            endpoint = re.search(r"Embedded DynamoDB \(moto\) at (\S+):", local.stdout)
            assert endpoint is not None
            boto3.client(
                "dynamodb",
                endpoint_url=endpoint.group(1),
                region_name="us-east-1",
                aws_access_key_id="local",
                aws_secret_access_key="local",
            ).update_item(
                TableName="dev-Orders",
                Key={"OrderId": {"S": placed["orderId"]}},
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": "Status"},
                ExpressionAttributeValues={":s": {"S": "DELIVERED"}},
            )
            out, err = node.communicate(timeout=90)
        finally:
            node.kill()
    report = json.loads(out)
    assert report.get("error") is None, (report, err)
    assert report["seen"] == ['"CANCELLED"', '"DELIVERED"']
    assert report["cspViolations"] == []
    assert report["externalRequests"] == []
