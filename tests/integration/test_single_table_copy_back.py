"""Rollback's copy back from cutover (graphql_api.ops.single_table_rollback): an item only the old tables hold is
deleted when the API deletes items of its table (it deleted it at cutover), and spared when the API never does
(the audit trail's readers write the old AuditLog in every phase: its entries must survive a rollback)."""

from __future__ import annotations

from datetime import UTC, datetime

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_rollback import CopyBack, copy_back
from graphql_api.repositories.audit import AUDIT_LOG, AuditEntry, ChangeKind
from graphql_api.repositories.carts import CARTS, CartItem
from graphql_api.repositories.products import PRODUCTS
from tests.support import fresh_settings, run_with_dynamo
from tests.support.single_table import items, prepare


def test_copy_back_spares_what_the_api_never_deletes_and_deletes_what_it_did(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    prepare(settings, "cutover")
    customer = items(settings, "Customers")[0]["CustomerId"]
    product = PRODUCTS.new_id()  # in no cart yet
    at = datetime.now(UTC)
    entry = AuditEntry(
        entity_id=customer,
        change_id=f"{at.isoformat()}#000000000000000000001",
        table="Customers",
        kind=ChangeKind.MODIFY,
        actor="outside the API",
        changed_at=at,
        expires_at=int(at.timestamp()) + 3600,
    )
    line = CartItem(customer_id=customer, product_id=product, quantity=1, added_at=at, expires_at=entry.expires_at)

    async def written_outside_then_copied_back(dynamo: Dynamo) -> CopyBack:
        # Both only in the old tables, as after cutover: the entry written by the audit trail's readers, the
        # cart line as if the API had deleted it from the single table at cutover.
        for table, item in (
            (AUDIT_LOG.table, AUDIT_LOG.to_item(entry)),
            (CARTS.table, CARTS.to_item(line)),
        ):
            await dynamo.call("put_item", TableName=table.physical_name(dynamo.table_prefix), Item=serialize_item(item))
        return await copy_back(dynamo, Layout())

    result = run_with_dynamo(settings, written_outside_then_copied_back)
    assert (result["spared"], result["deleted"]) == (1, 1), result.line()
    assert [item["EntityId"] for item in items(settings, "AuditLog") if item["ChangeId"] == entry.change_id] == [
        customer
    ]
    assert not [item for item in items(settings, "CartItems") if item["ProductId"] == product]
