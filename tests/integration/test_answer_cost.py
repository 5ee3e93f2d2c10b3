"""Every answer's `extensions.cost` (SPEC 13): the DynamoDB requests made for it, the read capacity they consumed
and the items DynamoDB examined, over HTTP (generic and compiled paths, batches) and WebSocket, on both backends."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.issuer import admin_headers
from tests.live_client import LiveClient
from tests.operations import CANONICAL, create_product
from tests.support import Api

SPARSE_CANCELLED = """query($id: ID!) { customer(customerId: $id) {
  orders(first: 3, status: CANCELLED) { edges { node { orderId } } } } }"""


def _cost(body: dict[str, Any]) -> dict[str, Any]:
    cost: dict[str, Any] = body["extensions"]["cost"]
    assert set(cost) == {"requests", "readCapacityUnits", "itemsExamined"}, cost
    return cost


def test_the_canonical_answer_says_what_it_cost(api: Api) -> None:
    response = api.post(CANONICAL, {"id": api.data.canonical.customer_id})
    body = response.json()
    assert "errors" not in body, body
    cost = _cost(body)
    assert cost["requests"] == int(response.headers["x-dynamodb-requests"]) == 4
    # The customer, 20 orders, their 60 lines and 60 products: every one examined, none twice.
    orders = body["data"]["customer"]["orders"]["edges"]
    lines = sum(len(edge["node"]["items"]) for edge in orders)
    assert len(orders) == 20
    assert lines == 60
    assert 1 + 20 + 60 + 60 <= cost["itemsExamined"] <= 1 + 21 + 60 + 60  # a Query may read one past the page
    assert cost["readCapacityUnits"] >= 60  # strongly consistent reads, about 1 unit per small item


def test_a_filtered_listing_examines_more_than_it_returns(api: Api) -> None:
    body = api.query(SPARSE_CANCELLED, {"id": api.data.sparse.customer_id})
    assert len(body["data"]["customer"]["orders"]["edges"]) == 3
    cost = _cost(body)
    # 150 orders of which 3 are CANCELLED, the first 5th and the last 140th newest-first: most are read to find them.
    assert cost["itemsExamined"] >= 1 + 140
    assert cost["requests"] >= 2


def test_the_compiled_plan_reports_the_same_cost_as_the_generic_path(api: Api) -> None:
    variables = {"id": api.data.canonical.customer_id}
    first, second, third = (api.query(CANONICAL, variables) for _ in range(3))  # the second and third from the plan
    assert first["data"] == second["data"] == third["data"]
    assert _cost(first) == _cost(second) == _cost(third)


def test_an_answer_without_dynamodb_costs_nothing_and_a_write_reads_nothing(api: Api) -> None:
    assert _cost(api.query("{ __typename }")) == {"requests": 0, "readCapacityUnits": 0.0, "itemsExamined": 0}
    refused = api.query('{ customer(customerId: "nope") { name } }')
    assert refused["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert _cost(refused)["requests"] == 0
    created = api.query(
        "mutation($i: CreateProductInput!) { createProduct(input: $i) { productId } }",
        {"i": {"name": "Costed", "category": "cost-tests", "price": "1.00", "currency": "EUR", "stock": 1}},
    )
    cost = _cost(created)
    assert cost["requests"] >= 1
    assert (cost["readCapacityUnits"], cost["itemsExamined"]) == (0.0, 0)  # write capacity is not read capacity


def test_each_answer_of_a_batch_has_its_own_cost(api: Api) -> None:
    product = create_product(api)
    response = api.client.post(
        "/graphql",
        json=[
            {
                "query": "query($id: ID!) { product(productId: $id) { name } }",
                "variables": {"id": product["productId"]},
            },
            {"query": "{ __typename }"},
        ],
        headers=admin_headers(),
    )
    loaded, free = response.json()
    assert _cost(loaded)["requests"] == 1
    assert _cost(loaded)["itemsExamined"] == 1
    assert _cost(free)["requests"] == 0
    assert int(response.headers["x-dynamodb-requests"]) == 1


def test_websocket_answers_carry_their_cost(api: Api, live_url: str) -> None:
    async def over_websocket() -> dict[str, Any]:
        client = await LiveClient.connect(live_url, admin_headers()["Authorization"])
        try:
            await client.subscribe("1", CANONICAL, {"id": api.data.canonical.customer_id})
            message = await client.next("1", within=30.0)
        finally:
            await client.close()
        return message

    message = asyncio.run(over_websocket())
    assert message["type"] == "next", message
    cost = _cost(message["payload"])
    assert cost["requests"] == 4
    assert cost["itemsExamined"] >= 141
