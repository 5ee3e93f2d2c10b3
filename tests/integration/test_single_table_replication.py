"""`migrate replicate`'s applier (graphql_api.ops.single_table_replication.Applier) on both backends: a stream
record's NewImage completes a partial item at the same Version, never goes over a newer one, finds an order's
line its place through the order, and a REMOVE deletes the item (found on its key GSI when its keys need more
than its key). The streams and leases around it are the live relay's, run by the whole-path test."""

from __future__ import annotations

from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_replication import Applier
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from tests.support import fresh_settings, run_with_dynamo


async def _first(dynamo: Dynamo, table: str) -> Item:
    page = await dynamo.call("scan", TableName=dynamo.table_prefix + table, Limit=1)
    return deserialize_item(page["Items"][0])


async def _single(dynamo: Dynamo, layout: Layout, item: Item) -> Item | None:
    key = serialize_item({"PK": item["PK"], "SK": item["SK"]})
    found = await dynamo.call("get_item", TableName=dynamo.table_prefix + "App", Key=key, ConsistentRead=True)
    return deserialize_item(found["Item"]) if "Item" in found else None


def test_the_applier_keeps_each_item_in_version_order(endpoint: str) -> None:
    settings = fresh_settings(endpoint)

    async def run(dynamo: Dynamo) -> dict[str, Any]:
        layout = Layout()
        await create_tables(dynamo)
        await create_tables(dynamo, tables=(layout.table,))
        await write_dataset(
            dynamo, demo_dataset(seed=3, customer_count=2, product_count=5, order_count=1, review_count=1)
        )
        applier = Applier(dynamo, layout)
        product, line = await _first(dynamo, "Products"), await _first(dynamo, "OrderItems")
        order = await _first(dynamo, "Orders")
        whole = layout.to_single(PRODUCTS, product)
        # A partial item, as dual-write's update creates before the backfill: key, Type, Version, one attribute.
        partial = {name: whole[name] for name in ("PK", "SK", "Type", "ProductId", "Version")} | {"Name": "x"}
        await dynamo.call("put_item", TableName=dynamo.table_prefix + "App", Item=serialize_item(partial))
        await applier.apply(PRODUCTS, {"NewImage": serialize_item(product)})
        completed = await _single(dynamo, layout, whole)
        older = {**product, "Version": product["Version"] - 1, "Name": "older"}
        await applier.apply(PRODUCTS, {"NewImage": serialize_item(older)})
        kept = await _single(dynamo, layout, whole)
        await applier.apply(ORDER_ITEMS, {"NewImage": serialize_item(line)})
        placed = await _single(dynamo, layout, layout.to_single(ORDER_ITEMS, line, order))
        await applier.apply(ORDERS, {"NewImage": serialize_item(order)})
        await applier.apply(ORDERS, {"OldImage": serialize_item(order)})
        removed = await _single(dynamo, layout, layout.to_single(ORDERS, order))
        return {
            "whole": whole,
            "completed": completed,
            "kept": kept,
            "placed": placed,
            "removed": removed,
            "counts": (applier.applied, applier.kept),
        }

    found = run_with_dynamo(settings, run)
    assert found["completed"] == found["whole"]
    assert found["kept"] == found["whole"]  # the older image lost to the newer version
    assert found["placed"] is not None
    assert found["placed"]["PK"].startswith("CUSTOMER#")  # in its order's customer's collection
    assert found["removed"] is None
    assert found["counts"] == (4, 1)
