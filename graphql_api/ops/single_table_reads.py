"""The canonical query's reads in the single-table layout: a customer, a page of their orders with the orders'
lines, and the lines' products, in 2 requests (the tests and bench/ measure it against the faux-SQL layout).

One descending Query of the customer's collection reads the customer (`~CUSTOMER` sorts last, so first read),
then each order's lines and the order itself, newest order first, page by page until one order more than asked
is read (hasNextPage); one BatchGetItem reads the products.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.ops.single_table import TYPE_ATTRIBUTE, Layout
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS

PAGE_ITEMS = 500
"""Items per Query page: enough for a customer's page of orders and lines in one request."""


@dataclass
class CustomerPage:
    customer: Item | None
    orders: list[Item] = field(default_factory=list)
    """Newest first, as the old tables hold them."""
    lines: dict[str, list[Item]] = field(default_factory=dict)
    """By order id, in item order."""
    products: dict[str, Item] = field(default_factory=dict)
    has_next: bool = False


async def customer_page(dynamo: Dynamo, layout: Layout, customer_id: str, first: int = 20) -> CustomerPage:
    customers, orders, lines = (layout.placement(entity) for entity in (CUSTOMERS, ORDERS, ORDER_ITEMS))
    pk = layout.to_single(CUSTOMERS, {CUSTOMERS.attribute("customer_id"): customer_id}, None)["PK"]
    params: dict[str, Any] = {
        "TableName": layout.table.physical_name(dynamo.table_prefix),
        "KeyConditionExpression": "PK = :pk",
        "ExpressionAttributeValues": serialize_item({":pk": pk}),
        "ScanIndexForward": False,
        "Limit": PAGE_ITEMS,
    }
    page = CustomerPage(customer=None)
    pending: dict[str, list[Item]] = {}
    while True:
        response = await dynamo.call("query", **params)
        for wire in response.get("Items", []):
            item = deserialize_item(wire)
            _, old = layout.from_single(item)
            tag = item[TYPE_ATTRIBUTE]
            if tag == customers.tag:
                page.customer = old
            elif tag == lines.tag:
                pending.setdefault(old["OrderId"], []).append(old)
            elif tag == orders.tag:
                if len(page.orders) == first:
                    page.has_next = True
                    break
                page.orders.append(old)
                page.lines[old["OrderId"]] = sorted(pending.pop(old["OrderId"], []), key=lambda line: line["ItemId"])
        else:
            if "LastEvaluatedKey" in response:
                params["ExclusiveStartKey"] = response["LastEvaluatedKey"]
                continue
        break
    product_ids = list(dict.fromkeys(line["ProductId"] for order in page.lines.values() for line in order))
    if product_ids:
        keys = [
            (layout.table, (single["PK"], single["SK"]))
            for single in (
                layout.to_single(PRODUCTS, {PRODUCTS.attribute("product_id"): product_id}) for product_id in product_ids
            )
        ]
        for found in await batch_get(dynamo, keys):
            if found is not None:
                _, product = layout.from_single(found)
                page.products[product["ProductId"]] = product
    return page
