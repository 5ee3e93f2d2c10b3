"""The service's calls on the single table are exactly the IAM policy's `migration` part (graphql_api.ops.iam_policy),
which Terraform grants with single_table_enabled: an instance at cutover with every read moved, writing and reading
as the API does, makes each of its calls, and none other on the single table. The session-end check
(tests/conftest.py) compares the whole suite's record with the policy; this test makes sure every grant of the part
is exercised (a grant no test uses would be reported as unused) and that what the part holds is what is used."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo
from graphql_api.migration.read_routing import set_read_percent
from graphql_api.ops.iam_policy import MIGRATION_PART, Grant, grants
from tests.dynamodb_access import RECORD
from tests.issuer import bearer, shared_issuer
from tests.support import fresh_settings, run_with_dynamo
from tests.support.single_table import CREATE_CUSTOMER, CREATE_REVIEW, Writer, follows, items, move_to, prepare, until

pytestmark = pytest.mark.one_backend  # the calls are the same on both; DynamoDB Local only

SET_CART_LINE = "mutation($p: ID!, $q: Int!) { setCartLine(productId: $p, quantity: $q) { __typename } }"
READS = """query($c: ID!, $e: String!, $p: [ID!]!) {
  ordersByStatus(status: CANCELLED, first: 5) { edges { node { orderId } } }
  customerByEmail(email: $e) { customerId }
  customer(customerId: $c) { orders(first: 5) { edges { node { orderId } } } }
  products(productIds: $p) { productId }
}"""


async def _all_reads(dynamo: Dynamo) -> None:
    await set_read_percent(dynamo, "*", 100)


def test_an_instance_at_cutover_uses_exactly_the_migration_parts_grants(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings = fresh_settings(endpoint)
    prepare(settings, "reads")
    run_with_dynamo(settings, _all_reads)
    customers, products = items(settings, "Customers"), items(settings, "Products")
    # An order the old tables hold too, for the same reason.
    pending = next(order for order in items(settings, "Orders") if order["Status"] == "PENDING")
    noted: list[tuple[str, Grant]] = []
    note = RECORD.note

    def noting(part: str, used: list[Grant]) -> None:
        noted.extend((part, grant) for grant in used)
        note(part, used)

    monkeypatch.setattr(RECORD, "note", noting)
    with TestClient(create_app(settings)) as client:
        writer = Writer(client)
        # A customer both layouts hold (at cutover the write path's GetItem still reads the old tables).
        sub = f"grants-{uuid.uuid4().hex[:12]}"
        headers = bearer(shared_issuer().token(sub))
        writer.ok(CREATE_CUSTOMER, {"i": {"email": f"{sub}@example.com", "name": "Grants"}}, headers)
        run_with_dynamo(settings, lambda dynamo: move_to(dynamo, "cutover"))
        until(lambda: follows(client, "cutover"), 30, "the instance did not follow the cutover")
        writer.update_product(products[4], name="Renamed")  # its GSI keys move: the item read first (GetItem)
        order = writer.place(customers[0]["CustomerId"], [products[0]["ProductId"]])  # PutItem, UpdateItem
        # The order found by its key GSI (Query GSI1), then UpdateItem.
        cancelled = writer.cancel({"orderId": pending["OrderId"], "version": int(pending["Version"])})
        review = {"productId": products[1]["ProductId"], "rating": 5, "title": "Good", "body": "Yes."}
        writer.ok(CREATE_REVIEW, {"i": review}, headers)  # ConditionCheckItem: the customer exists
        writer.ok(SET_CART_LINE, {"p": products[2]["ProductId"], "q": 1}, headers)
        writer.ok(SET_CART_LINE, {"p": products[2]["ProductId"], "q": 0}, headers)  # DeleteItem
        variables: dict[str, Any] = {
            "c": customers[0]["CustomerId"],
            "e": customers[1]["Email"],
            "p": [product["ProductId"] for product in products[:3]],
        }
        read = writer.ok(READS, variables)
    assert cancelled["orderId"] in [edge["node"]["orderId"] for edge in read["ordersByStatus"]["edges"]]
    assert read["customerByEmail"] == {"customerId": customers[1]["CustomerId"]}
    assert order["orderId"] in [edge["node"]["orderId"] for edge in read["customer"]["orders"]["edges"]]

    used = {grant for part, grant in noted if part == "migration"}
    assert sorted(map(str, used)) == sorted(map(str, grants(MIGRATION_PART)))
    assert {part for part, grant in noted if grant.table == "App"} <= {"migration", "subscriptions"}
