"""GraphQL operations the write-side tests send, and helpers that create state through them."""

from __future__ import annotations

import uuid
from typing import Any

from tests.support import Api

CUSTOMER = "customerId email name version orderCount addresses { label street city postalCode country }"
PRODUCT = "productId name description category price currency stock version"
ORDER = (
    "orderId customerId status total currency itemCount version items { itemId productId quantity unitPrice lineTotal }"
)

CREATE_CUSTOMER = f"mutation($input: CreateCustomerInput!) {{ createCustomer(input: $input) {{ {CUSTOMER} }} }}"
UPDATE_CUSTOMER = f"mutation($input: UpdateCustomerInput!) {{ updateCustomer(input: $input) {{ {CUSTOMER} }} }}"
DELETE_CUSTOMER = "mutation($id: ID!, $v: Int!) { deleteCustomer(customerId: $id, expectedVersion: $v) }"
CREATE_PRODUCT = f"mutation($input: CreateProductInput!) {{ createProduct(input: $input) {{ {PRODUCT} }} }}"
UPDATE_PRODUCT = f"mutation($input: UpdateProductInput!) {{ updateProduct(input: $input) {{ {PRODUCT} }} }}"
PLACE_ORDER = f"mutation($input: PlaceOrderInput!) {{ placeOrder(input: $input) {{ {ORDER} }} }}"
UPDATE_ORDER_STATUS = f"mutation($input: UpdateOrderStatusInput!) {{ updateOrderStatus(input: $input) {{ {ORDER} }} }}"
CANCEL_ORDER = f"mutation($id: ID!, $v: Int!) {{ cancelOrder(orderId: $id, expectedVersion: $v) {{ {ORDER} }} }}"
GET_PRODUCT = f"query($id: ID!) {{ product(productId: $id) {{ {PRODUCT} }} }}"
GET_CUSTOMER = f"query($id: ID!) {{ customer(customerId: $id) {{ {CUSTOMER} }} }}"
CANONICAL = """query Canonical($id: ID!) { customer(customerId: $id) { name email orders(first: 20) {
  edges { cursor node { orderId status orderDate total itemCount
    items { quantity unitPrice lineTotal product { productId name price } } } }
  pageInfo { hasNextPage endCursor } } } }"""
"""The canonical frontend query: a customer, 20 orders, their lines and products (4 DynamoDB requests)."""
GET_ORDER = f"query($id: ID!) {{ order(orderId: $id) {{ {ORDER} }} }}"


def unique_email(name: str = "user") -> str:
    return f"{name}.{uuid.uuid4().hex[:10]}@example.com"


def customer_input(**overrides: Any) -> dict[str, Any]:
    return {
        "email": unique_email(),
        "name": "Test Customer",
        "addresses": [
            {"label": "home", "street": "1 Main St", "city": "Berlin", "postalCode": "10115", "country": "DE"}
        ],
        **overrides,
    }


def product_input(**overrides: Any) -> dict[str, Any]:
    return {
        "name": f"Widget {uuid.uuid4().hex[:6]}",
        "description": "A widget.",
        "category": "widgets",
        "price": "9.99",
        "currency": "EUR",
        "stock": 10,
        **overrides,
    }


def create_customer(api: Api, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.data_of(CREATE_CUSTOMER, {"input": customer_input(**overrides)})["createCustomer"]
    return result


def create_product(api: Api, **overrides: Any) -> dict[str, Any]:
    result: dict[str, Any] = api.data_of(CREATE_PRODUCT, {"input": product_input(**overrides)})["createProduct"]
    return result


def place_order(api: Api, customer_id: str, lines: list[tuple[str, int]], key: str | None = None) -> dict[str, Any]:
    result: dict[str, Any] = api.data_of(PLACE_ORDER, {"input": order_input(customer_id, lines, key)})["placeOrder"]
    return result


def order_input(customer_id: str, lines: list[tuple[str, int]], key: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "customerId": customer_id,
        "items": [{"productId": product_id, "quantity": quantity} for product_id, quantity in lines],
    }
    if key is not None:
        body["idempotencyKey"] = key
    return body


def stock_of(api: Api, product_id: str) -> int:
    stock: int = api.data_of(GET_PRODUCT, {"id": product_id})["product"]["stock"]
    return stock


def error_of(body: dict[str, Any]) -> dict[str, Any]:
    assert body.get("errors"), body
    error: dict[str, Any] = body["errors"][0]
    return error
