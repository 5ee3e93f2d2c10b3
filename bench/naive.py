"""The naive peer: the same GraphQL schema (the part the benchmark asks), per-field resolvers, no batching.

    uvicorn --factory bench.naive:app_from_env     (DYNAMODB_ENDPOINT_URL, TABLE_PREFIX, CURSOR_SECRET)

This is how per-resolver GraphQL-over-DynamoDB services are commonly written, and what the
service's DataLoaders replace: every related object is loaded by its own resolver with its own
request. `Order.customer` is a GetItem, `Order.items` a Query per order, `OrderItem.product` a
GetItem per line, `products(productIds:)` a GetItem per id, and placeOrder reads the customer and
each product (and, with an idempotency key, the order it names) with a GetItem, concurrently (it
is naive, not slow on purpose), before the same TransactWriteItems as the limit. The GraphQL
executor still runs sibling resolvers concurrently, so waves stay few while requests multiply.
Same tables, same strawberry, same uvicorn, and the same JSON as the service (cursors included),
so only the loading strategy differs.

A benchmark peer, not a product: it lives in bench/ and serves no other purpose.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import Enum
from typing import Any

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.routing import Route
from strawberry.asgi import GraphQL

from bench import limit
from bench.common import DirectClient, TrackingMiddleware, open_direct
from graphql_api.clock import parse_timestamp
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.graphql.pagination import encode_cursor, listing_id
from graphql_api.money import money
from graphql_api.repositories.order_writes import order_id_for
from graphql_api.settings import Settings, load_settings


@dataclass
class NaiveContext:
    direct: DirectClient
    secret: str


Info = strawberry.Info[NaiveContext, None]


async def get_item(info: Info, table: str, key: dict[str, Any]) -> Item | None:
    direct = info.context.direct
    response = await direct.call(
        "get_item", TableName=direct.table(table), Key=serialize_item(key), ConsistentRead=True
    )
    item = response.get("Item")
    return deserialize_item(item) if item else None


async def get_wire(direct: DirectClient, table: str, key: dict[str, Any]) -> dict[str, Any] | None:
    response = await direct.call("get_item", TableName=direct.table(table), Key=key, ConsistentRead=True)
    item: dict[str, Any] | None = response.get("Item")
    return item


@strawberry.enum
class OrderStatus(Enum):
    PENDING = "PENDING"
    PAID = "PAID"
    SHIPPED = "SHIPPED"
    DELIVERED = "DELIVERED"
    CANCELLED = "CANCELLED"


@strawberry.type
class Product:
    product_id: strawberry.ID
    name: str
    description: str | None
    category: str
    price: Decimal
    currency: str
    stock: int
    created_at: datetime
    updated_at: datetime
    version: int

    @classmethod
    def from_item(cls, item: Item) -> Product:
        return cls(
            product_id=strawberry.ID(item["ProductId"]),
            name=item["Name"],
            description=item.get("Description"),
            category=item["Category"],
            price=money(item["Price"]),
            currency=item["Currency"],
            stock=int(item["Stock"]),
            created_at=parse_timestamp(item["CreatedAt"]),
            updated_at=parse_timestamp(item["UpdatedAt"]),
            version=int(item["Version"]),
        )


@strawberry.type
class OrderItem:
    order_id: strawberry.ID
    item_id: strawberry.ID
    product_id: strawberry.ID
    quantity: int
    unit_price: Decimal
    line_total: Decimal

    @strawberry.field
    async def product(self, info: Info) -> Product | None:
        item = await get_item(info, "Products", {"ProductId": self.product_id})
        return Product.from_item(item) if item else None


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Order:
    order_id: strawberry.ID
    customer_id: strawberry.ID
    status: OrderStatus
    order_date: datetime
    total: Decimal
    currency: str
    item_count: int
    version: int

    @strawberry.field
    async def customer(self, info: Info) -> Customer | None:
        item = await get_item(info, "Customers", {"CustomerId": self.customer_id})
        return Customer.from_item(item) if item else None

    @strawberry.field
    async def items(self, info: Info) -> list[OrderItem]:
        direct = info.context.direct
        response = await direct.call(
            "query",
            TableName=direct.table("OrderItems"),
            KeyConditionExpression="OrderId = :order",
            ExpressionAttributeValues={":order": {"S": str(self.order_id)}},
            ConsistentRead=True,
        )
        return [
            OrderItem(
                order_id=strawberry.ID(line["OrderId"]),
                item_id=strawberry.ID(line["ItemId"]),
                product_id=strawberry.ID(line["ProductId"]),
                quantity=int(line["Quantity"]),
                unit_price=money(line["UnitPrice"]),
                line_total=money(line["LineTotal"]),
            )
            for line in map(deserialize_item, response.get("Items", []))
        ]

    @classmethod
    def from_item(cls, item: Item) -> Order:
        return cls(
            order_id=strawberry.ID(item["OrderId"]),
            customer_id=strawberry.ID(item["CustomerId"]),
            status=OrderStatus(item["Status"]),
            order_date=parse_timestamp(item["OrderDate"]),
            total=money(item["Total"]),
            currency=item["Currency"],
            item_count=int(item["ItemCount"]),
            version=int(item["Version"]),
        )


@strawberry.type
class OrderEdge:
    cursor: str
    node: Order


@strawberry.type
class OrderConnection:
    edges: list[OrderEdge]
    page_info: PageInfo


@strawberry.type
class ProductEdge:
    cursor: str
    node: Product


@strawberry.type
class ProductConnection:
    edges: list[ProductEdge]
    page_info: PageInfo


def _positioned(items: list[Item], names: tuple[str, ...]) -> list[tuple[Item, dict[str, Any]]]:
    # The planner's position: one state per partition read (graphql_api.planner, CURSOR_ATTRIBUTES).
    return [(item, {"p": [{name: item[name] for name in names}]}) for item in items]


@strawberry.type
class Customer:
    customer_id: strawberry.ID
    email: str
    name: str
    order_count: int
    created_at: datetime
    updated_at: datetime
    version: int

    @strawberry.field
    async def orders(self, info: Info, first: int | None = 20) -> OrderConnection:
        first = first or 20
        direct = info.context.direct
        response = await direct.call(
            "query",
            TableName=direct.table("Orders"),
            IndexName="CustomerIndex",
            KeyConditionExpression="CustomerId = :customer",
            ExpressionAttributeValues={":customer": {"S": str(self.customer_id)}},
            ScanIndexForward=False,
            Limit=first + 1,
        )
        items = [deserialize_item(item) for item in response.get("Items", [])]
        listing = "Customer.orders:" + listing_id(self.customer_id, None, None)  # as _listed binds its cursors
        edges = [
            OrderEdge(cursor=encode_cursor(info.context.secret, listing, position), node=Order.from_item(item))
            for item, position in _positioned(items[:first], ("CustomerId", "OrderDate", "OrderId"))
        ]
        end = edges[-1].cursor if edges else None
        return OrderConnection(edges=edges, page_info=PageInfo(has_next_page=len(items) > first, end_cursor=end))

    @classmethod
    def from_item(cls, item: Item) -> Customer:
        return cls(
            customer_id=strawberry.ID(item["CustomerId"]),
            email=item["Email"],
            name=item["Name"],
            order_count=int(item.get("OrderCount", 0)),
            created_at=parse_timestamp(item["CreatedAt"]),
            updated_at=parse_timestamp(item["UpdatedAt"]),
            version=int(item["Version"]),
        )


@strawberry.type
class Query:
    @strawberry.field
    async def customer(self, info: Info, customer_id: strawberry.ID) -> Customer | None:
        item = await get_item(info, "Customers", {"CustomerId": customer_id})
        return Customer.from_item(item) if item else None

    @strawberry.field
    async def product(self, info: Info, product_id: strawberry.ID) -> Product | None:
        item = await get_item(info, "Products", {"ProductId": product_id})
        return Product.from_item(item) if item else None

    @strawberry.field
    async def products(self, info: Info, product_ids: list[strawberry.ID]) -> list[Product | None]:
        items = await asyncio.gather(*(get_item(info, "Products", {"ProductId": pid}) for pid in product_ids))
        return [Product.from_item(item) if item else None for item in items]

    @strawberry.field
    async def products_by_category(self, info: Info, category: str, first: int | None = 20) -> ProductConnection:
        first = first or 20
        direct = info.context.direct
        response = await direct.call(
            "query",
            TableName=direct.table("Products"),
            IndexName="CategoryIndex",
            KeyConditionExpression="Category = :category",
            ExpressionAttributeValues={":category": {"S": category}},
            Limit=first + 1,
        )
        items = [deserialize_item(item) for item in response.get("Items", [])]
        listing = "Query.productsByCategory:" + listing_id(category, None, None)
        edges = [
            ProductEdge(cursor=encode_cursor(info.context.secret, listing, position), node=Product.from_item(item))
            for item, position in _positioned(items[:first], ("Category", "Name", "ProductId"))
        ]
        end = edges[-1].cursor if edges else None
        return ProductConnection(edges=edges, page_info=PageInfo(has_next_page=len(items) > first, end_cursor=end))


@strawberry.input
class OrderLineInput:
    product_id: strawberry.ID
    quantity: int


@strawberry.input
class PlaceOrderInput:
    customer_id: strawberry.ID
    items: list[OrderLineInput]
    idempotency_key: str | None = None


@strawberry.type
class Mutation:
    @strawberry.mutation
    async def place_order(self, info: Info, input: PlaceOrderInput) -> Order:
        direct = info.context.direct
        customer_id, key = str(input.customer_id), input.idempotency_key
        order_id = order_id_for(customer_id, key) if key else None
        reads = [get_wire(direct, "Customers", {"CustomerId": {"S": customer_id}})]
        reads += [get_wire(direct, "Products", {"ProductId": {"S": str(line.product_id)}}) for line in input.items]
        if order_id:
            reads.append(get_wire(direct, "Orders", {"OrderId": {"S": order_id}}))
        customer, *found_items = await asyncio.gather(*reads)
        if order_id and (existing := found_items.pop()):
            return Order.from_item(deserialize_item(existing))
        if customer is None:
            raise ValueError("customer not found")
        found = {item["ProductId"]["S"]: item for item in found_items if item is not None}
        lines = [(str(line.product_id), line.quantity) for line in input.items]
        actions, order = limit.order_transaction(direct, customer_id, lines, found, order_id)
        await direct.call("transact_write_items", TransactItems=actions)
        return Order.from_item(order)


schema = strawberry.Schema(query=Query, mutation=Mutation)


class NaiveView(GraphQL[NaiveContext, None]):
    def __init__(self, settings: Settings) -> None:
        super().__init__(schema, graphql_ide=None)
        self.settings = settings

    async def get_context(self, request: Request | Any, response: Any) -> NaiveContext:
        return NaiveContext(direct=request.app.state.direct, secret=self.settings.cursor_secrets[0])


def create_naive_app(settings: Settings) -> Starlette:
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with open_direct(settings) as direct:
            app.state.direct = direct
            yield

    return Starlette(
        routes=[Route("/graphql", NaiveView(settings))],
        middleware=[Middleware(TrackingMiddleware)],
        lifespan=lifespan,
    )


def app_from_env() -> Starlette:
    return create_naive_app(load_settings(env_file=None))
