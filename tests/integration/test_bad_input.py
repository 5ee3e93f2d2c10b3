"""A table of bad inputs: each gets BAD_USER_INPUT naming the field, and no table changes."""

from __future__ import annotations

from typing import Any

import pytest

from tests.operations import (
    CANCEL_ORDER,
    CREATE_CUSTOMER,
    CREATE_PRODUCT,
    DELETE_CUSTOMER,
    PLACE_ORDER,
    UPDATE_CUSTOMER,
    UPDATE_ORDER_STATUS,
    UPDATE_PRODUCT,
    customer_input,
    product_input,
)
from tests.support import Api, snapshot

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

CUSTOMER_ID = "cus_" + "1" * 32
PRODUCT_ID = "prd_" + "2" * 32
ORDER_ID = "ord_" + "3" * 32
ADDRESS = {"street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}


def order(items: Any = None, **overrides: Any) -> dict[str, Any]:
    lines = [{"productId": PRODUCT_ID, "quantity": 1}] if items is None else items
    return {"customerId": CUSTOMER_ID, "items": lines, **overrides}


# (case id, query, variables, the field named in the error)
CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("email-empty", CREATE_CUSTOMER, {"input": customer_input(email="")}, "email"),
    ("email-no-at", CREATE_CUSTOMER, {"input": customer_input(email="ada.example.com")}, "email"),
    ("email-too-long", CREATE_CUSTOMER, {"input": customer_input(email="a" * 250 + "@example.com")}, "email"),
    ("email-control-char", CREATE_CUSTOMER, {"input": customer_input(email="ad\x00a@example.com")}, "email"),
    ("email-two-dots", CREATE_CUSTOMER, {"input": customer_input(email="a..b@example.com")}, "email"),
    ("email-leading-dot", CREATE_CUSTOMER, {"input": customer_input(email=".a@example.com")}, "email"),
    ("email-domain-hyphen", CREATE_CUSTOMER, {"input": customer_input(email="a@-example.com")}, "email"),
    ("email-domain-underscore", CREATE_CUSTOMER, {"input": customer_input(email="user@exa_mple.com")}, "email"),
    ("name-empty", CREATE_CUSTOMER, {"input": customer_input(name="")}, "name"),
    ("name-blank", CREATE_CUSTOMER, {"input": customer_input(name="   ")}, "name"),
    ("name-too-long", CREATE_CUSTOMER, {"input": customer_input(name="x" * 201)}, "name"),
    ("name-newline", CREATE_CUSTOMER, {"input": customer_input(name="Ada\nLovelace")}, "name"),
    ("six-addresses", CREATE_CUSTOMER, {"input": customer_input(addresses=[ADDRESS] * 6)}, "addresses"),
    (
        "address-country",
        CREATE_CUSTOMER,
        {"input": customer_input(addresses=[{**ADDRESS, "country": "Germany"}])},
        "addresses[0].country",
    ),
    (
        "address-street-empty",
        CREATE_CUSTOMER,
        {"input": customer_input(addresses=[ADDRESS, {**ADDRESS, "street": ""}])},
        "addresses[1].street",
    ),
    (
        "update-bad-id",
        UPDATE_CUSTOMER,
        {"input": {"customerId": "42", "expectedVersion": 1, "name": "x"}},
        "customerId",
    ),
    (
        "update-version-zero",
        UPDATE_CUSTOMER,
        {"input": {"customerId": CUSTOMER_ID, "expectedVersion": 0, "name": "x"}},
        "expectedVersion",
    ),
    (
        "update-email",
        UPDATE_CUSTOMER,
        {"input": {"customerId": CUSTOMER_ID, "expectedVersion": 1, "email": "nope"}},
        "email",
    ),
    ("delete-bad-id", DELETE_CUSTOMER, {"id": PRODUCT_ID, "v": 1}, "customerId"),
    ("price-negative", CREATE_PRODUCT, {"input": product_input(price="-1.00")}, "price"),
    ("price-fraction-of-cent", CREATE_PRODUCT, {"input": product_input(price="9.999")}, "price"),
    ("price-nan", CREATE_PRODUCT, {"input": product_input(price="NaN")}, "price"),
    ("price-infinite", CREATE_PRODUCT, {"input": product_input(price="Infinity")}, "price"),
    ("price-huge", CREATE_PRODUCT, {"input": product_input(price="1e30")}, "price"),
    ("currency-unknown", CREATE_PRODUCT, {"input": product_input(currency="EURO")}, "currency"),
    ("currency-lowercase", CREATE_PRODUCT, {"input": product_input(currency="eur")}, "currency"),
    ("stock-negative", CREATE_PRODUCT, {"input": product_input(stock=-1)}, "stock"),
    ("description-too-long", CREATE_PRODUCT, {"input": product_input(description="d" * 2001)}, "description"),
    ("category-empty", CREATE_PRODUCT, {"input": product_input(category="")}, "category"),
    ("product-name-too-long", CREATE_PRODUCT, {"input": product_input(name="n" * 201)}, "name"),
    (
        "update-product-price",
        UPDATE_PRODUCT,
        {"input": {"productId": PRODUCT_ID, "expectedVersion": 1, "price": "0.001"}},
        "price",
    ),
    (
        "update-product-bad-id",
        UPDATE_PRODUCT,
        {"input": {"productId": CUSTOMER_ID, "expectedVersion": 1, "stock": 1}},
        "productId",
    ),
    ("no-lines", PLACE_ORDER, {"input": order(items=[])}, "items"),
    (
        "26-lines",
        PLACE_ORDER,
        {"input": order(items=[{"productId": f"prd_{n:032x}", "quantity": 1} for n in range(26)])},
        "items",
    ),
    (
        "quantity-zero",
        PLACE_ORDER,
        {"input": order(items=[{"productId": PRODUCT_ID, "quantity": 0}])},
        "items[0].quantity",
    ),
    (
        "quantity-1001",
        PLACE_ORDER,
        {"input": order(items=[{"productId": PRODUCT_ID, "quantity": 1001}])},
        "items[0].quantity",
    ),
    (
        "duplicate-product",
        PLACE_ORDER,
        {"input": order(items=[{"productId": PRODUCT_ID, "quantity": 1}, {"productId": PRODUCT_ID, "quantity": 2}])},
        "items[1].productId",
    ),
    (
        "line-bad-product-id",
        PLACE_ORDER,
        {"input": order(items=[{"productId": "prd_XYZ", "quantity": 1}])},
        "items[0].productId",
    ),
    ("order-bad-customer-id", PLACE_ORDER, {"input": order(customerId="cus_")}, "customerId"),
    ("idempotency-key-too-long", PLACE_ORDER, {"input": order(idempotencyKey="k" * 65)}, "idempotencyKey"),
    ("idempotency-key-spaces", PLACE_ORDER, {"input": order(idempotencyKey="two words")}, "idempotencyKey"),
    (
        "status-bad-order-id",
        UPDATE_ORDER_STATUS,
        {"input": {"orderId": "order-1", "status": "PAID", "expectedVersion": 1}},
        "orderId",
    ),
    ("cancel-negative-version", CANCEL_ORDER, {"id": ORDER_ID, "v": -1}, "expectedVersion"),
]

# Errors that GraphQL itself raises while coercing variables: the message names the input path.
COERCION_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    (
        "status-unknown-enum",
        UPDATE_ORDER_STATUS,
        {"input": {"orderId": ORDER_ID, "status": "LOST", "expectedVersion": 1}},
        "status",
    ),
    ("stock-not-an-int", CREATE_PRODUCT, {"input": product_input(stock="ten")}, "stock"),
    ("stock-fractional", CREATE_PRODUCT, {"input": product_input(stock=1.5)}, "stock"),
    ("price-not-a-number", CREATE_PRODUCT, {"input": product_input(price="cheap")}, "price"),
    ("name-null", CREATE_CUSTOMER, {"input": customer_input(name=None)}, "name"),
    ("email-wrong-type", CREATE_CUSTOMER, {"input": customer_input(email=["a@b.c"])}, "email"),
    ("quantity-huge", PLACE_ORDER, {"input": order(items=[{"productId": PRODUCT_ID, "quantity": 2**40}])}, "quantity"),
]


@pytest.fixture(scope="module")
def tables_before(api: Api) -> dict[str, Any]:
    return snapshot(api.settings)


@pytest.mark.parametrize(("case", "query", "variables", "field"), CASES, ids=[c[0] for c in CASES])
def test_bad_input_names_the_field(api: Api, case: str, query: str, variables: dict[str, Any], field: str) -> None:
    response = api.post(query, variables)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field
    assert response.headers["x-dynamodb-requests"] == "0"


@pytest.mark.parametrize(("case", "query", "variables", "field"), COERCION_CASES, ids=[c[0] for c in COERCION_CASES])
def test_badly_typed_input_is_rejected_before_execution(
    api: Api, case: str, query: str, variables: dict[str, Any], field: str
) -> None:
    response = api.post(query, variables)
    body = response.json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert field in error["message"]
    assert body.get("data") is None
    assert response.headers["x-dynamodb-requests"] == "0"


def test_nothing_was_written_by_any_bad_input(api: Api, tables_before: dict[str, Any]) -> None:
    for _, query, variables, _ in CASES + COERCION_CASES:
        api.post(query, variables)
    assert snapshot(api.settings) == tables_before
