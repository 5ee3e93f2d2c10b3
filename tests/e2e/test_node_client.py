"""A real frontend client (graphql-request in Node, e2e/client.mjs) against the service under uvicorn."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import run_node
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import ADMIN, shared_issuer
from tests.operations import GET_CUSTOMER, GET_PRODUCT
from tests.support import Api


@pytest.fixture(scope="module")
def session(e2e_tools: Path, api: Api, live_url: str) -> dict[str, Any]:
    """What the client printed after its whole session against `live_url`: as the canonical customer and an admin."""
    issuer = shared_issuer()
    tokens = {"CUSTOMER_TOKEN": issuer.token(CANONICAL_SUB), "ADMIN_TOKEN": issuer.token(*ADMIN)}
    return run_node("client.mjs", live_url, "canonical", env=tokens)


def test_the_canonical_query(session: dict[str, Any], api: Api) -> None:
    canonical = api.data.canonical
    expected = {order.order_id for order in api.data.dataset.orders if order.customer_id == canonical.customer_id}
    result = session["canonical"]
    assert (result["name"], result["email"]) == (canonical.name, canonical.email)
    assert len(result["orderIds"]) == 20
    assert set(result["orderIds"]) == expected
    assert result["lineCount"] == 60
    assert result["hasNextPage"] is False


def test_a_cursor_walk_over_a_category_reaches_every_product_once(session: dict[str, Any], api: Api) -> None:
    expected = {product.product_id for product in api.data.dataset.products if product.category == "canonical"}
    walk = session["category"]
    assert walk["pageSizes"] == [7] * 8 + [4]
    assert len(walk["productIds"]) == 60
    assert set(walk["productIds"]) == expected
    assert walk["names"] == sorted(walk["names"])


def test_place_order_after_creating_its_customer_and_product(session: dict[str, Any], api: Api) -> None:
    placed = session["placeOrder"]
    customer, product, order = placed["customer"], placed["product"], placed["order"]
    assert order["customerId"] == customer["customerId"]
    assert order["status"] == "PENDING"
    assert (order["itemCount"], order["currency"]) == (1, "EUR")
    assert Decimal(order["total"]) == Decimal(product["price"]) * 3 == Decimal("37.50")
    assert [(item["productId"], item["quantity"]) for item in order["items"]] == [(product["productId"], 3)]
    assert placed["retriedOrderId"] == order["orderId"]
    # Seen by another client: the stock went down once (not twice: the retry wrote nothing), the order counted.
    assert api.data_of(GET_PRODUCT, {"id": product["productId"]})["product"]["stock"] == 7
    assert api.data_of(GET_CUSTOMER, {"id": customer["customerId"]})["customer"]["orderCount"] == 1


def test_without_a_token_me_is_unauthenticated_and_a_forged_one_is_a_401(session: dict[str, Any]) -> None:
    assert (session["anonymousMe"]["status"], session["anonymousMe"]["code"]) == (200, "UNAUTHENTICATED")
    assert (session["forgedToken"]["status"], session["forgedToken"]["code"]) == (401, "UNAUTHENTICATED")


def test_an_error_code_is_read_from_extensions(session: dict[str, Any]) -> None:
    error = session["badFirst"]
    assert error["code"] == "BAD_USER_INPUT"
    assert "first" in error["message"]
    # graphql-request accepts application/graphql-response+json: a limit checked before execution is a request
    # error, so 400 without data (GraphQL over HTTP); the code is read from extensions all the same.
    assert error["status"] == 400
