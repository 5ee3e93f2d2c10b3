"""Dual-write (graphql_api.migration.dual_write): in the dual-write phases every API write reaches the single
table in the same transaction, so that, with no backfill or replication after it, the single table holds exactly
what the old tables do; at cutover the writes reach the single table only, and its conditions answer with the
same errors (whatever order the actions are sent in)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo import transactions
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Action, Transaction, install_mirror
from graphql_api.errors import VersionMismatch
from graphql_api.migration.dual_write import DualWrite
from graphql_api.migration.watch import MigrationWatch
from graphql_api.ops.single_table import Layout
from graphql_api.repositories._writes import stale as stale_write
from graphql_api.repositories._writes import versioned_update
from graphql_api.repositories.products import PRODUCTS
from tests.support import fresh_settings, run_with_dynamo
from tests.support.single_table import (
    CANCEL,
    PLACE,
    UPDATE_PRODUCT,
    Writer,
    follows,
    items,
    move_to,
    parity,
    prepare,
    until,
)


@pytest.fixture(params=["as added", "reversed"])
def _send_order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    if request.param == "reversed":
        monkeypatch.setattr(transactions, "send_order", lambda count: list(reversed(range(count))))


def test_every_api_write_reaches_the_single_table_in_the_same_transaction(
    endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Twins sent before their originals: a failed original's error must still be the answer.
    monkeypatch.setattr(transactions, "send_order", lambda count: list(reversed(range(count))))
    settings = fresh_settings(endpoint)
    prepare(settings, "reads")  # the last of the phases in which the old tables decide
    customers, products = items(settings, "Customers"), items(settings, "Products")
    with TestClient(create_app(settings)) as client:
        writer = Writer(client)
        order = writer.place(customers[0]["CustomerId"], [p["ProductId"] for p in products[:3]])
        writer.cancel(order)
        writer.place(customers[1]["CustomerId"], [products[3]["ProductId"]])
        # A category and a name: the product's GSI1 keys move with them.
        renamed = writer.update_product(products[4], name="Renamed", category="moved-category")
        writer.review(products[1]["ProductId"])
        stale = writer.call(UPDATE_PRODUCT, {"i": {"productId": products[4]["ProductId"], "expectedVersion": 1}})
        assert stale["errors"][0]["extensions"]["code"] == "VERSION_MISMATCH", stale
        assert stale["errors"][0]["extensions"]["currentVersion"] == renamed["version"]
        refused = writer.call(CANCEL, {"o": order["orderId"], "v": order["version"]})
        assert refused["errors"][0]["extensions"]["code"] == "INVALID_TRANSITION"
    result = parity(settings)
    assert result.same, "\n".join(result.lines())
    moved = [item for item in items(settings, "App") if item.get("GSI1PK") == "PRODUCT#CATEGORY#moved-category"]
    assert [item["Name"] for item in moved] == ["Renamed"]


@pytest.mark.usefixtures("_send_order")
def test_at_cutover_writes_reach_the_single_table_only_and_its_conditions_answer(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    prepare(settings, "cutover")
    customers, products = items(settings, "Customers"), items(settings, "Products")
    old = {table: items(settings, table) for table in ("Orders", "OrderItems", "Products")}
    with TestClient(create_app(settings)) as client:
        writer = Writer(client)
        order = writer.place(customers[0]["CustomerId"], [products[0]["ProductId"], products[1]["ProductId"]])
        # The write path reads where writes go: an order only the single table holds can be cancelled.
        assert writer.cancel(order)["status"] == "CANCELLED"
        updated = writer.update_product(products[4], name="Renamed")
        # The old table still holds version 1: only the single table's condition can refuse this.
        stale = writer.call(UPDATE_PRODUCT, {"i": {"productId": products[4]["ProductId"], "expectedVersion": 1}})
        assert stale["errors"][0]["extensions"]["code"] == "VERSION_MISMATCH", stale
        assert stale["errors"][0]["extensions"]["currentVersion"] == updated["version"]
    assert {table: items(settings, table) for table in old} == old  # the old tables no longer written
    single = items(settings, "App")
    assert [item["OrderId"] for item in single if item["Type"] == "ORDER" and item["OrderId"] == order["orderId"]]
    assert sum(item["Type"] == "ORDER_ITEM" and item["OrderId"] == order["orderId"] for item in single) == 2
    placed = next(item for item in single if item["Type"] == "ORDER" and item["OrderId"] == order["orderId"])
    assert (placed["Status"], placed["Version"]) == ("CANCELLED", order["version"] + 1)
    product = next(
        item for item in single if item.get("ProductId") == products[4]["ProductId"] and item["Type"] == "PRODUCT"
    )
    assert (product["Name"], product["Version"]) == ("Renamed", updated["version"])

    # A transaction built directly (no read before it): the old table would take this write at version 1;
    # only the twin's condition on the single table refuses it, and its error is the original's.
    async def stale_transaction(dynamo: Dynamo) -> VersionMismatch:
        watch = MigrationWatch(dynamo, poll_seconds=5.0)
        await watch.refresh()
        install_mirror(dynamo, DualWrite(dynamo, Layout(), watch))
        now = datetime.now(UTC)

        def rename_at_version_1(product: dict[str, Any], name: str) -> Action:
            return versioned_update(
                PRODUCTS,
                (product["ProductId"],),
                at=now,
                fails_with=stale_write("product", 1),
                expected_version=1,
                set_fields={"name": name},
            )

        fresh, late = rename_at_version_1(products[3], "Fine"), rename_at_version_1(products[4], "Late")
        with pytest.raises(VersionMismatch) as raised:
            await Transaction(dynamo).add(fresh, late).commit()
        return raised.value

    refused = run_with_dynamo(settings, stale_transaction)
    assert refused.extensions["currentVersion"] == updated["version"]


def test_extensions_cost_is_the_same_with_dual_write(endpoint: str) -> None:
    """The mirror's own reads (an order's key attributes, a stale phase) are not the request's: a write costs the
    same requests and read units in the reads phase as before the migration."""
    settings = fresh_settings(endpoint, migration_poll_seconds=0.5)
    prepare(settings, "design")
    customers, products = items(settings, "Customers"), items(settings, "Products")

    def costs(writer: Writer, customer: str, product: str) -> tuple[list[dict[str, Any]], str]:
        placed = writer.call(PLACE, {"i": {"customerId": customer, "items": [{"productId": product, "quantity": 1}]}})
        order = placed["data"]["placeOrder"]
        cancelled = writer.call(CANCEL, {"o": order["orderId"], "v": order["version"]})
        return [placed["extensions"]["cost"], cancelled["extensions"]["cost"]], order["orderId"]

    with TestClient(create_app(settings)) as client:
        writer = Writer(client)
        before, _ = costs(writer, customers[0]["CustomerId"], products[0]["ProductId"])
        run_with_dynamo(settings, lambda dynamo: move_to(dynamo, "reads"))
        until(lambda: follows(client, "reads"), 10, "the instance did not follow the reads phase")
        during, order_id = costs(writer, customers[0]["CustomerId"], products[0]["ProductId"])
    assert during == before
    mirrored = [item for item in items(settings, "App") if item["Type"] == "ORDER" and item["OrderId"] == order_id]
    assert [item["Status"] for item in mirrored] == ["CANCELLED"]  # dual-written, at no cost to the request
