"""Errors as clients see them: a code from SPEC section 5, the field named, nothing internal."""

from __future__ import annotations

import logging

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from tests.issuer import admin_headers
from tests.support import Api, fresh_settings

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

INTERNAL_WORDS = ("Traceback", "botocore", "ResourceNotFound", "ClientError", "Exception", "Orders", "dynamodb")


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ('{ customer(customerId: "42") { name } }', "customerId"),
        ('{ order(orderId: "cus_00000000000000000000000000000000") { orderId } }', "orderId"),
        ('{ product(productId: "") { name } }', "productId"),
        ('{ products(productIds: ["prd_x"]) { name } }', "productIds"),
        ('{ customerByEmail(email: "not-an-email") { name } }', "email"),
        ('{ productsByCategory(category: "") { edges { cursor } } }', "category"),
    ],
)
def test_malformed_arguments_are_bad_user_input_naming_the_field(api: Api, query: str, field: str) -> None:
    response = api.post(query)
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["field"] == field
    assert field in error["message"]
    assert response.headers["x-dynamodb-requests"] == "0"


def test_more_than_100_product_ids_is_bad_user_input(api: Api) -> None:
    ids = [f"prd_{n:032x}" for n in range(101)]
    error = api.query("query($ids: [ID!]!) { products(productIds: $ids) { name } }", {"ids": ids})["errors"][0]
    assert error["extensions"] == {"code": "BAD_USER_INPUT", "field": "productIds"}


def test_syntax_and_validation_errors_carry_a_code(api: Api) -> None:
    for query in ("{ customer(", "{ nosuchfield }", "{ customer(customerId: 5) { nosuch } }"):
        errors = api.query(query)["errors"]
        assert errors
        assert all(e["extensions"]["code"] == "BAD_USER_INPUT" for e in errors)


def test_unknown_enum_value_is_bad_user_input(api: Api) -> None:
    errors = api.query("{ ordersByStatus(status: LOST) { edges { cursor } } }")["errors"]
    assert errors[0]["extensions"]["code"] == "BAD_USER_INPUT"


def test_an_unexpected_failure_is_masked_with_a_request_id(endpoint: str, caplog: pytest.LogCaptureFixture) -> None:
    """A real fault: the tables do not exist at this prefix, so DynamoDB answers ResourceNotFound."""
    settings = fresh_settings(endpoint)
    with TestClient(create_app(settings)) as client, caplog.at_level(logging.ERROR):
        response = client.post(
            "/graphql",
            json={"query": '{ order(orderId: "ord_00000000000000000000000000000000") { orderId } }'},
            headers=admin_headers(),
        )
    body = response.json()
    error = body["errors"][0]
    assert error["extensions"]["code"] == "INTERNAL_SERVER_ERROR"
    assert error["extensions"]["requestId"] == response.headers["x-request-id"]
    assert body["data"] == {"order": None}
    for word in INTERNAL_WORDS:
        assert word not in response.text, word
    logged = [r for r in caplog.records if r.exc_info and response.headers["x-request-id"] in r.getMessage()]
    assert logged, "the unexpected error is logged with its stack and request id"


def test_a_sane_incoming_request_id_is_echoed(api: Api) -> None:
    response = api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    response = api.client.post("/graphql", json={"query": "{ __typename }"}, headers={"X-Request-ID": "bad id\t!"})
    assert response.headers["x-request-id"] != "bad id\t!"


PAGE_WITH_PRODUCTS = """query Page($id: ID!) { customer(customerId: $id) { name orders(first: 5) { edges { node {
  orderId ... on Order { items { quantity ...Named } } } } } } }
fragment Named on OrderItem { product { name } }"""


@pytest.mark.parametrize("plans", [False, True], ids=["generic", "compiled"])
def test_a_failed_product_load_fails_the_product_fields_not_the_page(endpoint: str, plans: bool) -> None:
    """The page's lines and products are loaded ahead (through the fragments): the products' load fails for real
    (their table is gone), and exactly the `product` fields are null with an error each, the rest answered."""
    from graphql_api.ops.seed import demo_dataset, write_dataset
    from graphql_api.ops.table_admin import create_tables
    from graphql_api.repositories.products import PRODUCTS
    from tests.support import run_with_dynamo

    settings = fresh_settings(endpoint, graphql_compiled_plans=plans)
    data = demo_dataset(seed=3, customer_count=2, product_count=5, order_count=6)

    async def prepare(dynamo: object) -> None:
        await create_tables(dynamo)  # type: ignore[arg-type]
        await write_dataset(dynamo, data)  # type: ignore[arg-type]
        await dynamo.call("delete_table", TableName=PRODUCTS.table.physical_name(settings.table_prefix))  # type: ignore[attr-defined]

    run_with_dynamo(settings, prepare)
    customer = next(c for c in data.customers if c.order_count)
    with TestClient(create_app(settings)) as client:
        for _ in range(2 if plans else 1):  # the second run goes through the plan
            body = client.post(
                "/graphql",
                json={"query": PAGE_WITH_PRODUCTS, "variables": {"id": customer.customer_id}},
                headers=admin_headers(),
            ).json()
    edges = body["data"]["customer"]["orders"]["edges"]
    lines = [line for edge in edges for line in edge["node"]["items"]]
    assert edges
    assert lines
    assert all(line["quantity"] >= 1 and line["product"] is None for line in lines)
    assert len(body["errors"]) == len(lines)
    assert {error["path"][-1] for error in body["errors"]} == {"product"}
    assert {error["extensions"]["code"] for error in body["errors"]} == {"INTERNAL_SERVER_ERROR"}
