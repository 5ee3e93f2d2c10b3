"""The access patterns (AP1-AP12) as runnable GraphQL operations, for `graphql-api check-patterns`.

Each runs in-process against the configured endpoint and reports the DynamoDB requests it made.
Sample ids are taken from the data (one order, its customer, its first product) before the run. They run
with every right, as an admin would, except those asking `me` (AP11, AP12: the caller's own customer and cart),
which run as the sample customer's own sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql_api.auth.identity import OPEN_ACCESS, Identity, Role
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.entity import Listing
from graphql_api.graphql.context import RequestContext
from graphql_api.graphql.registry import LISTINGS, SAMPLES
from graphql_api.graphql.schema import Schema
from graphql_api.loaders import Loaders
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import REVIEWS
from graphql_api.request_scope import request_scope
from graphql_api.settings import Settings


@dataclass(frozen=True)
class Pattern:
    number: str
    name: str
    query: str

    @property
    def asks_me(self) -> bool:
        """Asked as the caller's own (`me`): run as the sample customer's sign-in."""
        return self.query.startswith("{ me ")


BY_KEY = (
    Pattern("AP1", "Customer by id", "query($c: ID!) { customer(customerId: $c) { customerId name } }"),
    Pattern("AP4", "Order by id", "query($o: ID!) { order(orderId: $o) { orderId total } }"),
    Pattern("AP5", "Items of an order", "query($o: ID!) { order(orderId: $o) { items { itemId quantity } } }"),
    Pattern("AP6", "Products by id", "query($p: [ID!]!) { products(productIds: $p) { productId name } }"),
    Pattern("AP11", "The caller's own customer", "{ me { customerId name } }"),
)
"""The patterns served by key (BatchGetItem through the loaders): no listing declares them."""


def _listing_pattern(listing: Listing[Any]) -> Pattern:
    if listing.pattern not in SAMPLES:
        raise LookupError(
            f"{listing.entity!r} declares a listing for {listing.pattern or 'no pattern'}: give it a sample query "
            "(its GraphQL module's Roots.samples)"
        )
    return Pattern(listing.pattern, listing.purpose, SAMPLES[listing.pattern])


PATTERNS = tuple(
    sorted((*BY_KEY, *(_listing_pattern(listing) for listing in LISTINGS)), key=lambda pattern: int(pattern.number[2:]))
)
"""Every access pattern, in number order: those by key, and one per declared listing (its number and purpose)."""


@dataclass(frozen=True)
class PatternResult:
    pattern: Pattern
    ok: bool
    detail: str
    dynamodb_requests: int


async def _sample_variables(dynamo: Dynamo, settings: Settings) -> dict[str, Any] | None:
    response = await dynamo.call("scan", TableName=ORDERS.table.physical_name(dynamo.table_prefix), Limit=1)
    if not response.get("Items"):
        return None
    order = ORDERS.from_item(deserialize_item(response["Items"][0]))
    loaders = Loaders(dynamo, settings)
    customer = await loaders.one(CUSTOMERS, order.customer_id)
    lines = await loaders.order_items(order)
    if customer is None or not lines:
        return None
    product = await loaders.one(PRODUCTS, lines[0].product_id)
    if product is None:
        return None
    reviewed = await dynamo.call("scan", TableName=REVIEWS.table.physical_name(dynamo.table_prefix), Limit=1)
    if not reviewed.get("Items"):
        return None
    review = REVIEWS.from_item(deserialize_item(reviewed["Items"][0]))
    return {
        "c": customer.customer_id,
        "e": customer.email,
        "o": order.order_id,
        "p": [product.product_id],
        "s": order.status.value,
        "k": product.category,
        "r": review.product_id,
        "a": review.customer_id,
    }


async def check_patterns(schema: Schema, dynamo: Dynamo, settings: Settings) -> list[PatternResult]:
    sample = await _sample_variables(dynamo, settings)
    if sample is None:
        raise LookupError("no orders found: run `graphql-api seed` first")
    # `me` as the sample customer's own sign-in would ask it: the same key, derived or not.
    own = Identity(Role.CUSTOMER, customer_id=sample["c"])
    results = []
    for pattern in PATTERNS:
        with request_scope() as scope:
            outcome = await schema.execute(
                pattern.query,
                variable_values=sample,
                context_value=RequestContext(
                    dynamo=dynamo, settings=settings, identity=own if pattern.asks_me else OPEN_ACCESS
                ),
            )
        ok = not outcome.errors and _has_data(outcome.data)
        detail = "ok" if ok else (outcome.errors[0].message if outcome.errors else "no data returned")
        results.append(PatternResult(pattern, ok, detail, scope.dynamodb_requests))
    return results


def aligned_lines(results: list[PatternResult]) -> list[str]:
    """One line per pattern, its columns aligned whatever the widths of the numbers (AP1 .. AP11) and names."""
    number_width = max((len(result.pattern.number) for result in results), default=0)
    name_width = max((len(result.pattern.name) for result in results), default=0)
    lines = []
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        line = (
            f"{mark} {result.pattern.number:<{number_width}} {result.pattern.name:<{name_width}} "
            f"dynamodb_requests={result.dynamodb_requests}"
        )
        lines.append(line if result.ok else f"{line}  {result.detail}")
    return lines


def _has_data(value: Any) -> bool:
    """True if the answer holds at least one non-empty leaf (an id, a name, ...)."""
    if isinstance(value, dict):
        return any(_has_data(inner) for inner in value.values())
    if isinstance(value, list):
        return any(_has_data(inner) for inner in value)
    return value is not None
