"""The graphql-ws client (what frontends use for subscriptions, e2e/live.mjs) against the service under uvicorn."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import uuid
from pathlib import Path

from tests.backends import ROOT
from tests.e2e.conftest import E2E
from tests.issuer import bearer, shared_issuer
from tests.live_client import active_subscriptions, until_subscribed
from tests.operations import create_product
from tests.support import Api

SET_STATUS = "mutation($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) { version } }"


def test_graphql_ws_receives_an_owners_order_changes_and_a_bad_token_is_closed(
    e2e_tools: Path, api: Api, live_url: str
) -> None:
    sub = f"ws-{uuid.uuid4().hex[:8]}"
    headers = bearer(shared_issuer().token(sub))
    api.data_of(
        "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId } }",
        {"i": {"email": f"{sub}@example.com", "name": "Frontend Live"}},
        headers,
    )
    product = create_product(api, stock=100)
    order = api.data_of(
        "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId } }",
        {"i": {"items": [{"productId": product["productId"], "quantity": 2}]}},
        headers,
    )["placeOrder"]
    before = asyncio.run(active_subscriptions(live_url))
    env = {**os.environ, "CUSTOMER_TOKEN": shared_issuer().token(sub)}
    node = subprocess.Popen(
        ["node", str(E2E / "live.mjs"), live_url, order["orderId"]],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        asyncio.run(until_subscribed(live_url, before + 1, within=30))
        for version, status in ((1, "PAID"), (2, "SHIPPED")):
            api.data_of(SET_STATUS, {"i": {"orderId": order["orderId"], "status": status, "expectedVersion": version}})
        out, err = node.communicate(timeout=60)
    finally:
        node.kill()
    assert node.returncode == 0, err
    result = json.loads(out)
    assert result["badToken"] == {"code": 4403}
    events = [event["data"]["orderChanged"] for event in result["events"]]
    # The order's creation, written a moment before the subscription, may be seen too (PENDING).
    changes = [(event["orderId"], event["status"]) for event in events if event["status"] != "PENDING"]
    assert changes == [(order["orderId"], "PAID"), (order["orderId"], "SHIPPED")]
    assert events[-1]["items"] == [{"quantity": 2, "product": {"name": product["name"]}}]
