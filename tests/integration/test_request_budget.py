"""The canonical frontend query costs 4 DynamoDB requests in 4 waves, however many objects it returns."""

from __future__ import annotations

from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import bearer, shared_issuer
from tests.operations import CANONICAL
from tests.support import Api, logged


def test_canonical_query_makes_exactly_four_requests(api: Api, caplog) -> None:  # type: ignore[no-untyped-def]
    customer = api.data.canonical
    with caplog.at_level("INFO", logger="graphql_api.request"):
        response = api.post(CANONICAL, {"id": customer.customer_id})
    data = response.json()["data"]["customer"]
    edges = data["orders"]["edges"]
    products = {item["product"]["productId"] for edge in edges for item in edge["node"]["items"]}
    assert len(edges) == 20
    assert sum(len(edge["node"]["items"]) for edge in edges) == 60
    assert len(products) == 60
    assert all(item["product"] is not None for edge in edges for item in edge["node"]["items"])
    # customer, orders page, all items of the page, all products of those items
    assert response.headers["x-dynamodb-requests"] == "4"
    line = logged(caplog.records)[0]
    assert line["dynamodbRequests"] == 4
    assert line["requestId"] == response.headers["x-request-id"]
    assert line["operations"] == ["Canonical"]


def test_the_same_object_asked_twice_is_loaded_once(api: Api) -> None:
    customer = api.data.canonical
    response = api.post(
        "query($id: ID!) { a: customer(customerId: $id) { name } b: customer(customerId: $id) { email } }",
        {"id": customer.customer_id},
    )
    assert response.json()["data"] == {"a": {"name": customer.name}, "b": {"email": customer.email}}
    assert response.headers["x-dynamodb-requests"] == "1"


def test_loads_of_different_tables_in_one_tick_share_a_request(api: Api) -> None:
    data = api.data.dataset
    response = api.post(
        "query($c: ID!, $o: ID!, $p: ID!) { customer(customerId: $c) { name } order(orderId: $o) { total } "
        "product(productId: $p) { name } }",
        {"c": data.customers[0].customer_id, "o": data.orders[0].order_id, "p": data.products[0].product_id},
    )
    assert all(response.json()["data"].values())
    assert response.headers["x-dynamodb-requests"] == "1"


def test_more_than_100_keys_in_one_wave_are_chunked(api: Api) -> None:
    products = api.data.dataset.products
    first_hundred = [p.product_id for p in products[:100]]
    more = [p.product_id for p in products[100:140]]
    response = api.post(
        "query($a: [ID!]!, $b: [ID!]!) { a: products(productIds: $a) { productId } b: products(productIds: $b) { productId } }",
        {"a": first_hundred, "b": more},
    )
    data = response.json()["data"]
    assert [p["productId"] for p in data["a"] + data["b"]] == first_hundred + more
    assert response.headers["x-dynamodb-requests"] == "2"


ME_CANONICAL = """query MeCanonical { me { name email orders(first: 20) {
  edges { cursor node { orderId status orderDate total itemCount
    items { quantity unitPrice lineTotal product { productId name price } } } }
  pageInfo { hasNextPage endCursor } } } }"""


def test_the_canonical_query_through_me_makes_four_requests(api: Api) -> None:
    """AP11: the key is derived from the token, so `me` is one load by key like customer(customerId)."""
    canonical = api.data.canonical
    response = api.post(ME_CANONICAL, headers=bearer(shared_issuer().token(CANONICAL_SUB)))
    me = response.json()["data"]["me"]
    assert (me["name"], me["email"]) == (canonical.name, canonical.email)
    assert len(me["orders"]["edges"]) == 20
    assert sum(len(edge["node"]["items"]) for edge in me["orders"]["edges"]) == 60
    assert response.headers["x-dynamodb-requests"] == "4"


def test_a_customer_asking_for_another_customer_costs_nothing(api: Api) -> None:
    """Decided from the token alone: no DynamoDB request, and the answer is the same as for a missing id."""
    headers = bearer(shared_issuer().token(CANONICAL_SUB))
    other = api.data.loner.customer_id
    response = api.post("query($id: ID!) { customer(customerId: $id) { name } }", {"id": other}, headers)
    body = response.json()
    assert (body["data"], "errors" in body) == ({"customer": None}, False)
    assert response.headers["x-dynamodb-requests"] == "0"
    assert body["extensions"]["cost"]["requests"] == 0


def test_a_role_rule_is_decided_before_any_request(api: Api) -> None:
    headers = bearer(shared_issuer().token(CANONICAL_SUB))
    response = api.post("{ ordersByStatus(status: PENDING) { edges { cursor } } }", headers=headers)
    assert response.json()["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert response.headers["x-dynamodb-requests"] == "0"
