"""The subscriptions' stream readers, run in the test process so that the IAM record sees their calls.

tests/integration/conftest.py records, as IAM grants, every call of the apps the integration tests build in
this process; test_subscriptions.py runs the readers under uvicorn, in a process the record does not see.
tests/conftest.py compares the whole record with the policy's data at the end of the session
(tests/dynamodb_access.py).
"""

from __future__ import annotations

import time

from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.ops.iam_policy import STREAM_READERS, grants
from tests.dynamodb_access import AccessRecord
from tests.issuer import admin_headers
from tests.operations import create_product
from tests.support import Api

ORDERS_CHANGED = "subscription { ordersChanged { order { orderId } } }"
PRODUCT_CHANGED = "subscription($ids: [ID!]!) { productChanged(productIds: $ids) { productId } }"


def test_the_stream_readers_run_in_this_process(api: Api, dynamodb_access_record: AccessRecord) -> None:
    """One subscription per stream on an app of this process; its readers are recorded once they read."""
    product = create_product(api)
    expected = set(grants(STREAM_READERS))  # the relay's leases: test_live_relay_grants.py
    with (
        # The audit trail's readers too (AUDIT_TRAIL): the audited tables' streams from the start.
        TestClient(create_app(api.settings.replace(audit_trail=True))) as client,
        client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket,
    ):
        socket.send_json({"type": "connection_init", "payload": admin_headers()})
        assert socket.receive_json()["type"] == "connection_ack"
        socket.send_json({"id": "1", "type": "subscribe", "payload": {"query": ORDERS_CHANGED}})
        socket.send_json(
            {
                "id": "2",
                "type": "subscribe",
                "payload": {"query": PRODUCT_CHANGED, "variables": {"ids": [product["productId"]]}},
            }
        )
        deadline = time.monotonic() + 30
        while not expected <= set(dynamodb_access_record.used["subscriptions"]) and time.monotonic() < deadline:
            time.sleep(0.05)
        for operation in ("1", "2"):
            socket.send_json({"id": operation, "type": "complete"})
    missing = expected - set(dynamodb_access_record.used["subscriptions"])
    assert not missing, f"the stream readers did not make these calls within 30 s: {sorted(map(str, missing))}"
