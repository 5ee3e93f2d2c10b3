"""The benchmark's questions: each a GraphQL request (for the service and the naive peer) and its limit.

| question        | GraphQL                                                    | minimal DynamoDB requests       |
|-----------------|------------------------------------------------------------|---------------------------------|
| canonical       | EXAMPLE_QUERY (graphql_api.cli) for the canonical customer | BatchGet, Query, BatchGet x2    |
| catalog         | productsByCategory(category: "canonical", first: 50)       | Query CategoryIndex             |
| products        | products(productIds:) with 100 ids                         | BatchGetItem                    |
| placeOrder      | placeOrder with 3 lines, no idempotency key                | BatchGetItem, TransactWriteItems|
| placeOrderKeyed | the same with a new idempotency key each time              | the same (the order's key read  |
|                 |                                                            | in the same BatchGetItem)       |
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from bench import limit
from bench.common import BenchData, DirectClient
from graphql_api.cli import EXAMPLE_QUERY

CATALOG_QUERY = """\
query Catalog($category: String!, $first: Int!) {
  productsByCategory(category: $category, first: $first) {
    edges { cursor node { productId name price stock } }
    pageInfo { hasNextPage endCursor }
  }
}"""

PRODUCTS_QUERY = """\
query Products($ids: [ID!]!) {
  products(productIds: $ids) { productId name price stock }
}"""

PLACE_ORDER_MUTATION = """\
mutation PlaceOrder($input: PlaceOrderInput!) {
  placeOrder(input: $input) { orderId status total itemCount }
}"""

CATALOG_CATEGORY = "canonical"
CATALOG_FIRST = 50
ORDER_LINES = 3


@dataclass(frozen=True)
class Question:
    name: str
    body: Callable[[random.Random], dict[str, Any]]
    """The GraphQL request (query and variables); a random draw where the question varies (placeOrder)."""
    limit: Callable[[DirectClient, random.Random], Awaitable[dict[str, Any]]]
    """The same question answered with the minimal DynamoDB requests: the `data` of the answer."""
    writes: bool = False


def idempotency_key(rng: random.Random) -> str:
    """A new key each time: every keyed placement in the benchmarks is a new order, not a replay."""
    return f"bench-{rng.getrandbits(64):016x}"


def order_lines(data: BenchData, rng: random.Random) -> list[tuple[str, int]]:
    """Three distinct products of the `bench` catalog (plenty of stock), 1 to 3 units each."""
    return [(product.product_id, rng.randint(1, 3)) for product in rng.sample(data.catalog, ORDER_LINES)]


def questions(data: BenchData, secret: str) -> list[Question]:
    canonical_id = data.canonical.customer_id
    product_ids = [product.product_id for product in data.catalog]

    def place_order_body(rng: random.Random) -> dict[str, Any]:
        items = [{"productId": pid, "quantity": quantity} for pid, quantity in order_lines(data, rng)]
        return {
            "query": PLACE_ORDER_MUTATION,
            "variables": {"input": {"customerId": data.buyer.customer_id, "items": items}},
        }

    def keyed_place_order_body(rng: random.Random) -> dict[str, Any]:
        body = place_order_body(rng)
        body["variables"]["input"]["idempotencyKey"] = idempotency_key(rng)
        return body

    return [
        Question(
            "canonical",
            lambda rng: {"query": EXAMPLE_QUERY, "variables": {"id": canonical_id}},
            lambda direct, rng: limit.canonical(direct, secret, canonical_id),
        ),
        Question(
            "catalog",
            lambda rng: {"query": CATALOG_QUERY, "variables": {"category": CATALOG_CATEGORY, "first": CATALOG_FIRST}},
            lambda direct, rng: limit.catalog(direct, secret, CATALOG_CATEGORY, CATALOG_FIRST),
        ),
        Question(
            "products",
            lambda rng: {"query": PRODUCTS_QUERY, "variables": {"ids": product_ids}},
            lambda direct, rng: limit.products(direct, product_ids),
        ),
        Question(
            "placeOrder",
            place_order_body,
            lambda direct, rng: limit.place_order(direct, data.buyer.customer_id, order_lines(data, rng)),
            writes=True,
        ),
        Question(
            "placeOrderKeyed",
            keyed_place_order_body,
            lambda direct, rng: limit.place_order(
                direct, data.buyer.customer_id, order_lines(data, rng), idempotency_key(rng)
            ),
            writes=True,
        ),
    ]
