"""What Relay relies on (SPEC 4): Global Object Identification (`Node`, `node(id:)`, opaque ids under the entity's
own access rule) and the Cursor Connections PageInfo (`startCursor`, `hasPreviousPage`), on both backends."""

from __future__ import annotations

import pytest

from graphql_api.graphql.entities._node import global_id
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import bearer, shared_issuer
from tests.support import Api

NODE = "query($id: ID!) { node(id: $id) { __typename id } }"
# The query Relay's @refetchable generates for a fragment on Customer: the fragment again, through node(id:).
REFETCH = """query($id: ID!) { node(id: $id) { __typename id ... on Customer { name
  orders(first: 2) { edges { cursor node { id orderId } } pageInfo { hasNextPage hasPreviousPage startCursor endCursor } } } } }"""


def _ids(api: Api) -> dict[str, tuple[str, str]]:
    """A global id of each node type (from its own `id` field), and the entity id it stands for."""
    customer = api.data_of(
        "query($c: ID!) { customer(customerId: $c) { id customerId orders(first: 1) { edges { node { id orderId } } } } }",
        {"c": api.data.canonical.customer_id},
    )["customer"]
    order = customer["orders"]["edges"][0]["node"]
    product_id = api.data.dataset.products[0].product_id
    product = api.data_of("query($p: ID!) { product(productId: $p) { id productId } }", {"p": product_id})["product"]
    reviewed = next(p for p in api.data.dataset.products if p.review_count)
    review = api.data_of(
        "query($p: ID!) { product(productId: $p) { reviews(first: 1) { edges { node { id reviewId } } } } }",
        {"p": reviewed.product_id},
    )["product"]["reviews"]["edges"][0]["node"]
    return {
        "Customer": (customer["id"], customer["customerId"]),
        "Order": (order["id"], order["orderId"]),
        "Product": (product["id"], product["productId"]),
        "Review": (review["id"], review["reviewId"]),
    }


def test_every_node_type_comes_back_by_its_global_id(api: Api) -> None:
    for type_name, (node_id, entity_id) in _ids(api).items():
        assert entity_id not in node_id  # opaque: not the entity id in clear
        key_field = type_name[0].lower() + type_name[1:] + "Id"
        node = api.data_of(
            f"query($id: ID!) {{ node(id: $id) {{ __typename id ... on {type_name} {{ {key_field} }} }} }}",
            {"id": node_id},
        )["node"]
        assert node == {"__typename": type_name, "id": node_id, key_field: entity_id}


def test_a_node_is_seen_exactly_as_its_entitys_root_field_shows_it(api: Api) -> None:
    ids = _ids(api)
    own = bearer(shared_issuer().token(CANONICAL_SUB))
    other = bearer(shared_issuer().token("relay-someone-else"))
    for type_name in ("Customer", "Order"):
        global_id = ids[type_name][0]
        assert api.data_of(NODE, {"id": global_id}, own)["node"]["id"] == global_id
        response = api.post(NODE, {"id": global_id}, other)
        body = response.json()
        assert (body["data"], "errors" in body) == ({"node": None}, False)  # another customer's: as if missing
        assert ids[type_name][1] not in response.text
        refused = api.query(NODE, {"id": global_id}, {})
        assert refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    # Another customer's customer is decided from the token: no DynamoDB request.
    response = api.post(NODE, {"id": ids["Customer"][0]}, other)
    assert response.headers["x-dynamodb-requests"] == "0"
    for type_name in ("Product", "Review"):
        assert api.data_of(NODE, {"id": ids[type_name][0]}, {})["node"]["__typename"] == type_name


@pytest.mark.parametrize(
    "bad",
    [
        "not base64!",
        "Q3VzdG9tZXI",  # "Customer" without a key
        "Q3VzdG9tZXI6bm9wZQ",  # "Customer:nope"
        "UGF5bWVudDpjdXNfMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA",  # "Payment:cus_0...": no such node type
    ],
)
def test_a_global_id_that_is_not_one_is_bad_user_input_at_no_cost(api: Api, bad: str) -> None:
    response = api.post(NODE, {"id": bad})
    body = response.json()
    assert body["errors"][0]["extensions"] == {"code": "BAD_USER_INPUT", "field": "id"}
    assert response.headers["x-dynamodb-requests"] == "0"


def test_a_missing_node_is_null(api: Api) -> None:
    missing = global_id("Order", ("ord_" + "0" * 32,))  # the shape of a real global id, of no order
    assert api.data_of(NODE, {"id": missing})["node"] is None


def test_refetching_a_customer_through_node_pages_its_orders_with_relays_page_info(api: Api) -> None:
    customer_id = _ids(api)["Customer"][0]
    first = api.data_of(REFETCH, {"id": customer_id})["node"]
    page = first["orders"]
    assert page["pageInfo"]["startCursor"] == page["edges"][0]["cursor"]
    assert page["pageInfo"]["endCursor"] == page["edges"][-1]["cursor"]
    assert page["pageInfo"]["hasPreviousPage"] is False  # the first page
    after = page["pageInfo"]["endCursor"]
    second = api.data_of(
        """query($id: ID!, $after: String) { node(id: $id) { ... on Customer {
          orders(first: 2, after: $after) { edges { cursor } pageInfo { hasPreviousPage startCursor } } } } }""",
        {"id": customer_id, "after": after},
    )["node"]["orders"]
    assert second["pageInfo"]["hasPreviousPage"] is True  # read past the start: `after` was given
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]
