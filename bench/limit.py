"""The physical limit: the minimal DynamoDB requests for each benchmark question, by hand, no GraphQL.

Each function makes exactly the requests the data needs, in as few sequential waves as the data
dependencies allow under the service's plan, and returns the same `data` the service answers:

- canonical: BatchGetItem the customer, Query CustomerIndex (Limit 21), BatchGetItem the 60 lines,
  BatchGetItem the 60 products (4 requests, 4 waves; `canonical(..., overlap=True)` runs the customer
  and the Query together, which the Query's key allows: 3 waves);
- catalog: one Query CategoryIndex (Limit first + 1);
- products: one BatchGetItem (100 keys);
- placeOrder: one BatchGetItem (customer and products, strongly consistent) and one TransactWriteItems.

Items are read straight from the wire format (no generic deserializer), and answers are built as
plain dicts; cursors are the service's (same HMAC, same listing), so the JSON is identical.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from bench.common import DirectClient
from graphql_api import ids
from graphql_api.clock import format_timestamp, now, parse_timestamp
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.graphql.pagination import encode_cursor, listing_id
from graphql_api.money import CENT
from graphql_api.repositories.order_writes import order_id_for

MAX_KEYS = 100
Key = dict[str, dict[str, str]]
Wire = dict[str, Any]


def money(number: Wire) -> str:
    return str(Decimal(number["N"]).quantize(CENT))


async def batch_get(direct: DirectClient, table: str, keys: Sequence[Key], key_names: Sequence[str]) -> list[Wire]:
    """Items of one table by key, chunks of 100 sent together, UnprocessedKeys retried; in no order."""

    async def chunk(part: Sequence[Key]) -> list[Wire]:
        found: list[Wire] = []
        pending: dict[str, Any] = {table: {"Keys": list(part), "ConsistentRead": True}}
        for attempt in range(7):
            response = await direct.call("batch_get_item", RequestItems=pending)
            found += response.get("Responses", {}).get(table, [])
            pending = response.get("UnprocessedKeys") or {}
            if not pending:
                return found
            await asyncio.sleep(random.uniform(0, 0.025 * 2**attempt))
        raise RuntimeError("UnprocessedKeys after retries")

    unique = list({tuple(key[name]["S"] for name in key_names): key for key in keys}.values())
    parts = [unique[start : start + MAX_KEYS] for start in range(0, len(unique), MAX_KEYS)]
    return [item for part in await asyncio.gather(*(chunk(part) for part in parts)) for item in part]


async def canonical(
    direct: DirectClient, secret: str, customer_id: str, first: int = 20, *, overlap: bool = False
) -> dict[str, Any]:
    """The data of EXAMPLE_QUERY (graphql_api.cli) for `customer_id`."""
    customers, orders_table = direct.table("Customers"), direct.table("Orders")
    customer_key: Key = {"CustomerId": {"S": customer_id}}

    async def orders_page() -> dict[str, Any]:
        return await direct.call(
            "query",
            TableName=orders_table,
            IndexName="CustomerIndex",
            KeyConditionExpression="CustomerId = :customer",
            ExpressionAttributeValues={":customer": {"S": customer_id}},
            ScanIndexForward=False,
            Limit=first + 1,
        )

    if overlap:
        found, page = await asyncio.gather(batch_get(direct, customers, [customer_key], ["CustomerId"]), orders_page())
        if not found:
            return {"customer": None}
    else:
        found = await batch_get(direct, customers, [customer_key], ["CustomerId"])
        if not found:
            return {"customer": None}
        page = await orders_page()
    customer = found[0]
    rows = page.get("Items", [])
    orders = rows[:first]
    line_keys: list[Key] = [
        {"OrderId": order["OrderId"], "ItemId": {"S": f"{number:03d}"}}
        for order in orders
        for number in range(1, int(order["ItemCount"]["N"]) + 1)
    ]
    lines = await batch_get(direct, direct.table("OrderItems"), line_keys, ["OrderId", "ItemId"])
    product_keys: list[Key] = [{"ProductId": line["ProductId"]} for line in lines]
    products = {
        item["ProductId"]["S"]: item
        for item in await batch_get(direct, direct.table("Products"), product_keys, ["ProductId"])
    }
    lines_of: dict[str, list[Wire]] = {}
    for line in sorted(lines, key=lambda line: line["ItemId"]["S"]):
        lines_of.setdefault(line["OrderId"]["S"], []).append(line)

    listing = "Customer.orders:" + listing_id(customer_id, None, None)  # as _listed binds its cursors

    def product_of(line: Wire) -> dict[str, Any] | None:
        product = products.get(line["ProductId"]["S"])
        if product is None:
            return None
        return {"productId": product["ProductId"]["S"], "name": product["Name"]["S"], "price": money(product["Price"])}

    edges = []
    for order in orders:
        # The planner's position: one state per partition read (graphql_api.planner, CURSOR_ATTRIBUTES).
        position = {"p": [{name: order[name]["S"] for name in ("CustomerId", "OrderDate", "OrderId")}]}
        node = {
            "orderId": order["OrderId"]["S"],
            "status": order["Status"]["S"],
            "orderDate": parse_timestamp(order["OrderDate"]["S"]).isoformat(),
            "total": money(order["Total"]),
            "itemCount": int(order["ItemCount"]["N"]),
            "items": [
                {
                    "quantity": int(line["Quantity"]["N"]),
                    "unitPrice": money(line["UnitPrice"]),
                    "lineTotal": money(line["LineTotal"]),
                    "product": product_of(line),
                }
                for line in lines_of.get(order["OrderId"]["S"], [])
            ],
        }
        edges.append({"cursor": encode_cursor(secret, listing, position), "node": node})
    return {
        "customer": {
            "name": customer["Name"]["S"],
            "email": customer["Email"]["S"],
            "orders": {
                "edges": edges,
                "pageInfo": {"hasNextPage": len(rows) > first, "endCursor": edges[-1]["cursor"] if edges else None},
            },
        }
    }


def _product_fields(product: Wire) -> dict[str, Any]:
    return {
        "productId": product["ProductId"]["S"],
        "name": product["Name"]["S"],
        "price": money(product["Price"]),
        "stock": int(product["Stock"]["N"]),
    }


async def catalog(direct: DirectClient, secret: str, category: str, first: int) -> dict[str, Any]:
    """The data of CATALOG_QUERY: one Query on CategoryIndex."""
    page = await direct.call(
        "query",
        TableName=direct.table("Products"),
        IndexName="CategoryIndex",
        KeyConditionExpression="Category = :category",
        ExpressionAttributeValues={":category": {"S": category}},
        ScanIndexForward=True,
        Limit=first + 1,
    )
    rows = page.get("Items", [])
    listing = "Query.productsByCategory:" + listing_id(category, None, None)
    edges = [
        {
            "cursor": encode_cursor(
                secret, listing, {"p": [{name: row[name]["S"] for name in ("Category", "Name", "ProductId")}]}
            ),
            "node": _product_fields(row),
        }
        for row in rows[:first]
    ]
    page_info = {"hasNextPage": len(rows) > first, "endCursor": edges[-1]["cursor"] if edges else None}
    return {"productsByCategory": {"edges": edges, "pageInfo": page_info}}


async def products(direct: DirectClient, product_ids: Sequence[str]) -> dict[str, Any]:
    """The data of PRODUCTS_QUERY: one BatchGetItem (per 100 ids), in the order asked."""
    keys: list[Key] = [{"ProductId": {"S": product_id}} for product_id in product_ids]
    found = {
        item["ProductId"]["S"]: item for item in await batch_get(direct, direct.table("Products"), keys, ["ProductId"])
    }
    return {"products": [_product_fields(found[pid]) if pid in found else None for pid in product_ids]}


async def place_order(
    direct: DirectClient, customer_id: str, lines: Sequence[tuple[str, int]], idempotency_key: str | None = None
) -> dict[str, Any]:
    """The data of PLACE_ORDER_MUTATION: read the customer and the products together, then one transaction.

    With an idempotency key, the order it names (the service's OrderId for it) is read in the same
    BatchGetItem: a replay answers from it, a new order is written create-only.
    """
    customers, products_table, orders_table = (
        direct.table("Customers"),
        direct.table("Products"),
        direct.table("Orders"),
    )
    order_id = order_id_for(customer_id, idempotency_key) if idempotency_key else ids.new_id("ord")
    request: dict[str, Any] = {
        customers: {"Keys": [{"CustomerId": {"S": customer_id}}], "ConsistentRead": True},
        products_table: {"Keys": [{"ProductId": {"S": pid}} for pid, _ in lines], "ConsistentRead": True},
    }
    if idempotency_key:
        request[orders_table] = {"Keys": [{"OrderId": {"S": order_id}}], "ConsistentRead": True}
    response = await direct.call("batch_get_item", RequestItems=request)
    if response.get("UnprocessedKeys"):
        raise RuntimeError("UnprocessedKeys")
    if existing := response["Responses"].get(orders_table):
        stored = existing[0]
        return {
            "placeOrder": {
                "orderId": stored["OrderId"]["S"],
                "status": stored["Status"]["S"],
                "total": money(stored["Total"]),
                "itemCount": int(stored["ItemCount"]["N"]),
            }
        }
    if not response["Responses"].get(customers):
        raise RuntimeError("customer not found")
    found = {item["ProductId"]["S"]: item for item in response["Responses"].get(products_table, [])}
    actions, order = order_transaction(direct, customer_id, lines, found, order_id)
    await direct.call("transact_write_items", TransactItems=actions)
    return {"placeOrder": order_answer(order)}


def order_answer(order: dict[str, Any]) -> dict[str, Any]:
    """The fields PLACE_ORDER_MUTATION asks for."""
    return {
        "orderId": order["OrderId"],
        "status": order["Status"],
        "total": str(order["Total"]),
        "itemCount": order["ItemCount"],
    }


def order_transaction(
    direct: DirectClient,
    customer_id: str,
    lines: Sequence[tuple[str, int]],
    products: dict[str, Wire],
    order_id: str | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The TransactWriteItems actions of a new order, and the order (plain values).

    Writes what the service writes: the order (create-only), its lines, a stock decrement per
    product conditioned on stock and price, and the customer's OrderCount, all versioned.
    """
    at = format_timestamp(now())
    order_id = order_id or ids.new_id("ord")
    total = Decimal(0)
    puts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for number, (product_id, quantity) in enumerate(lines, start=1):
        product = products[product_id]
        if int(product["Stock"]["N"]) < quantity:
            raise RuntimeError(f"{product_id} out of stock")
        price = Decimal(product["Price"]["N"]).quantize(CENT)
        total += price * quantity
        line = {
            "OrderId": order_id,
            "ItemId": f"{number:03d}",
            "ProductId": product_id,
            "Quantity": quantity,
            "UnitPrice": price,
            "LineTotal": price * quantity,
        }
        puts.append({"Put": {"TableName": direct.table("OrderItems"), "Item": serialize_item(line)}})
        updates.append(
            {
                "Update": {
                    "TableName": direct.table("Products"),
                    "Key": {"ProductId": {"S": product_id}},
                    "UpdateExpression": "SET Stock = Stock - :q, Version = Version + :one, UpdatedAt = :at",
                    "ConditionExpression": "attribute_exists(ProductId) AND Stock >= :q AND Price = :price",
                    "ExpressionAttributeValues": serialize_item(
                        {":q": quantity, ":one": 1, ":at": at, ":price": price}
                    ),
                }
            }
        )
    order = {
        "OrderId": order_id,
        "CustomerId": customer_id,
        "Status": "PENDING",
        "OrderDate": at,
        "Total": total.quantize(CENT),
        "Currency": "EUR",
        "ItemCount": len(lines),
        "CreatedAt": at,
        "UpdatedAt": at,
        "Version": 1,
    }
    order_put = {
        "Put": {
            "TableName": direct.table("Orders"),
            "Item": serialize_item(order),
            "ConditionExpression": "attribute_not_exists(OrderId)",
        }
    }
    customer_update = {
        "Update": {
            "TableName": direct.table("Customers"),
            "Key": {"CustomerId": {"S": customer_id}},
            "UpdateExpression": "SET OrderCount = if_not_exists(OrderCount, :zero) + :one, "
            "Version = Version + :one, UpdatedAt = :at",
            "ConditionExpression": "attribute_exists(CustomerId)",
            "ExpressionAttributeValues": serialize_item({":zero": 0, ":one": 1, ":at": at}),
        }
    }
    return [order_put, *puts, *updates, customer_update], order
