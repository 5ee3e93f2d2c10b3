"""A minimal hand-written Lambda handler for the canonical query: the yardstick of bench.lambda_start's cold start.

No GraphQL, no framework: an API Gateway HTTP API (payload 2.0) event with the canonical request's body in, the
same four DynamoDB requests as bench.limit.canonical (BatchGetItem the customer, Query CustomerIndex, BatchGetItem
the lines, BatchGetItem the products) through aiobotocore, and the service's JSON out (the same cursors: HMAC
of the listing and position, as graphql_api.graphql.pagination signs them). Standard library and aiobotocore
only, so that it runs from a zip of the service's dependencies without graphql_api. Like the service's
handler, it opens its client once per execution environment, in the init phase, on a loop every invocation
reuses (asyncio's: nothing beyond the standard library and aiobotocore). DYNAMODB_ENDPOINT_URL, TABLE_PREFIX,
CURSOR_SECRET and AWS_REGION come from the environment.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiobotocore.config import AioConfig
from aiobotocore.session import get_session

PREFIX = os.environ.get("TABLE_PREFIX", "")
SECRET = os.environ.get("CURSOR_SECRET", "").split(",")[0]
FIRST = 20
CENT = Decimal("0.01")
MAC_BYTES = 16  # graphql_api.graphql.pagination's

Wire = dict[str, Any]

loop = asyncio.new_event_loop()
client: Any = loop.run_until_complete(
    get_session()
    .create_client(
        "dynamodb",
        region_name=os.environ.get("AWS_REGION", "us-east-1"),
        endpoint_url=os.environ.get("DYNAMODB_ENDPOINT_URL") or None,
        config=AioConfig(retries={"mode": "standard"}),
    )
    .__aenter__()
)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def cursor(listing: str, position: dict[str, str]) -> str:
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    mac = hmac.new(SECRET.encode(), listing.encode() + b"\x00" + payload, hashlib.sha256).digest()[:MAC_BYTES]
    return f"{b64(payload)}.{b64(mac)}"


def money(number: Wire) -> str:
    return str(Decimal(number["N"]).quantize(CENT))


async def batch_get(table: str, keys: list[Wire]) -> list[Wire]:
    """Items by key (at most 100 here: the canonical customer's 60 lines), UnprocessedKeys asked again."""
    found: list[Wire] = []
    pending: Wire = {PREFIX + table: {"Keys": keys, "ConsistentRead": True}}
    while pending:
        response = await client.batch_get_item(RequestItems=pending)
        found += response.get("Responses", {}).get(PREFIX + table, [])
        pending = response.get("UnprocessedKeys") or {}
    return found


async def canonical(customer_id: str) -> dict[str, Any]:
    customers = await batch_get("Customers", [{"CustomerId": {"S": customer_id}}])
    if not customers:
        return {"customer": None}
    page = await client.query(
        TableName=PREFIX + "Orders",
        IndexName="CustomerIndex",
        KeyConditionExpression="CustomerId = :customer",
        ExpressionAttributeValues={":customer": {"S": customer_id}},
        ScanIndexForward=False,
        Limit=FIRST + 1,
    )
    rows = page.get("Items", [])
    orders = rows[:FIRST]
    line_keys = [
        {"OrderId": order["OrderId"], "ItemId": {"S": f"{number:03d}"}}
        for order in orders
        for number in range(1, int(order["ItemCount"]["N"]) + 1)
    ]
    lines = await batch_get("OrderItems", line_keys) if line_keys else []
    product_keys = list({line["ProductId"]["S"]: {"ProductId": line["ProductId"]} for line in lines}.values())
    products = {item["ProductId"]["S"]: item for item in await batch_get("Products", product_keys)} if lines else {}
    lines_of: dict[str, list[Wire]] = {}
    for line in sorted(lines, key=lambda line: line["ItemId"]["S"]):
        lines_of.setdefault(line["OrderId"]["S"], []).append(line)
    listing = json.dumps(["Customer.orders", customer_id, None, None, None])

    def product_of(line: Wire) -> dict[str, Any] | None:
        product = products.get(line["ProductId"]["S"])
        if product is None:
            return None
        return {"productId": product["ProductId"]["S"], "name": product["Name"]["S"], "price": money(product["Price"])}

    edges = []
    for order in orders:
        node = {
            "orderId": order["OrderId"]["S"],
            "status": order["Status"]["S"],
            "orderDate": datetime.fromisoformat(order["OrderDate"]["S"]).isoformat(),
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
        position = {name: order[name]["S"] for name in ("CustomerId", "OrderDate", "OrderId")}
        edges.append({"cursor": cursor(listing, position), "node": node})
    page_info = {"hasNextPage": len(rows) > FIRST, "endCursor": edges[-1]["cursor"] if edges else None}
    return {
        "customer": {
            "name": customers[0]["Name"]["S"],
            "email": customers[0]["Email"]["S"],
            "orders": {"edges": edges, "pageInfo": page_info},
        }
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    body = event.get("body") or "{}"
    request = json.loads(base64.b64decode(body) if event.get("isBase64Encoded") else body)
    data = loop.run_until_complete(canonical(request["variables"]["id"]))
    return {"statusCode": 200, "headers": {"content-type": "application/json"}, "body": json.dumps({"data": data})}
