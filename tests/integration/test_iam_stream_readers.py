"""The IAM policy grants exactly the DynamoDB access the service used in this session: nothing missing, nothing more.

tests/integration/conftest.py records, as IAM grants, every call of the apps the integration tests build in
this process. The subscriptions' stream readers run here too, for the record: test_subscriptions.py runs
them under uvicorn, in a process the record does not see. The last test (moved after every other
integration test by the conftest) compares the record with the policy's data,
infra_terraform/dynamodb_access.auto.tfvars.json (equal to graphql_api.ops.iam_policy's declarations:
tests/terraform/test_iam_policy.py), in both directions, part by part.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.ops.iam_policy import DATA_FILE, PARTS, REGENERATE, SUBSCRIPTIONS, compare, declared_by, grants, load
from tests.backends import ROOT
from tests.conftest import Api
from tests.issuer import admin_headers
from tests.operations import create_product

if TYPE_CHECKING:
    from tests.integration.conftest import AccessRecord

ORDERS_CHANGED = "subscription { ordersChanged { order { orderId } } }"
PRODUCT_CHANGED = "subscription($ids: [ID!]!) { productChanged(productIds: $ids) { productId } }"


def test_the_stream_readers_run_in_this_process(api: Api, dynamodb_access_record: AccessRecord) -> None:
    """One subscription per stream on an app of this process; its readers are recorded once they read."""
    product = create_product(api)
    expected = set(grants(SUBSCRIPTIONS))
    with (
        TestClient(create_app(api.settings)) as client,
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


def test_the_policy_grants_exactly_what_the_service_used(dynamodb_access_record: AccessRecord) -> None:
    record = dynamodb_access_record
    if not record.complete:
        pytest.skip("the record is complete only when the whole of tests/integration runs, with nothing deselected")
    granted = load((ROOT / "infra_terraform" / DATA_FILE).read_text(encoding="utf-8"))

    reports = []
    for part, used in record.used.items():
        drift = compare(used, granted[part])
        if drift:
            reports.append(drift.report(part, used, declared_by(PARTS[part])))

    failed = ""
    if record.failed:
        failed = f"\n({len(record.failed)} integration tests failed, so some calls may be missing: {record.failed[:5]})"
    assert not reports, (
        "The IAM policy and the DynamoDB calls of the integration tests disagree.\n"
        + "\n".join(reports)
        + f"\nDeclare the access in graphql_api/ops/iam_policy.py, then run: {REGENERATE}{failed}"
    )
