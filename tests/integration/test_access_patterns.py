"""Every access pattern AP1-AP8 over HTTP, on both backends, checked against the data written."""

from __future__ import annotations

from decimal import Decimal

from graphql_api.repositories.orders import OrderStatus
from tests.support import Api

CUSTOMER_FIELDS = "customerId email name orderCount version addresses { label street city postalCode country }"


def test_ap1_customer_by_id(api: Api) -> None:
    ada = api.data.dataset.customers[0]
    customer = api.data_of(
        f"query($id: ID!) {{ customer(customerId: $id) {{ {CUSTOMER_FIELDS} }} }}", {"id": ada.customer_id}
    )["customer"]
    assert customer["customerId"] == ada.customer_id
    assert customer["email"] == ada.email
    assert customer["orderCount"] == ada.order_count
    assert customer["addresses"][0]["city"] == ada.addresses[0].city


def test_ap2_customer_by_email_ignores_case(api: Api) -> None:
    canonical = api.data.canonical
    found = api.data_of("query($e: String!) { customerByEmail(email: $e) { customerId } }", {"e": "CANON@Example.com"})[
        "customerByEmail"
    ]
    assert found == {"customerId": canonical.customer_id}


def test_ap2_unknown_email_is_null(api: Api) -> None:
    assert api.data_of('{ customerByEmail(email: "nobody@example.com") { customerId } }') == {"customerByEmail": None}


def test_ap3_orders_of_a_customer_newest_first(api: Api) -> None:
    customer = api.data.canonical
    connection = api.data_of(
        "query($id: ID!) { customer(customerId: $id) { orders(first: 100) { totalCount edges { node { orderId orderDate customerId } } } } }",
        {"id": customer.customer_id},
    )["customer"]["orders"]
    expected = sorted(
        (o for o in api.data.dataset.orders if o.customer_id == customer.customer_id),
        key=lambda o: o.order_date,
        reverse=True,
    )
    assert [edge["node"]["orderId"] for edge in connection["edges"]] == [o.order_id for o in expected]
    assert connection["totalCount"] == 20


def test_ap3_status_and_date_range(api: Api) -> None:
    customer = api.data.sparse
    mine = sorted(
        (o for o in api.data.dataset.orders if o.customer_id == customer.customer_id), key=lambda o: o.order_date
    )
    after, before = mine[10].order_date, mine[60].order_date
    connection = api.data_of(
        """query($id: ID!, $a: DateTime, $b: DateTime) { customer(customerId: $id) {
             orders(first: 100, status: DELIVERED, placedAfter: $a, placedBefore: $b) {
               totalCount edges { node { orderId status } } } } }""",
        {"id": customer.customer_id, "a": after.isoformat(), "b": before.isoformat()},
    )["customer"]["orders"]
    expected = [o.order_id for o in reversed(mine[10:60]) if o.status is OrderStatus.DELIVERED]
    assert [edge["node"]["orderId"] for edge in connection["edges"]] == expected
    # Kept counts are the unfiltered listing's; a filtered one is counted when it fits in the page it read.
    assert connection["totalCount"] == len(expected)


def test_ap4_and_ap5_order_with_its_items(api: Api) -> None:
    order = next(o for o in api.data.dataset.orders if o.item_count >= 3)
    result = api.data_of(
        "query($id: ID!) { order(orderId: $id) { orderId total currency itemCount status "
        "customer { customerId } items { itemId productId quantity unitPrice lineTotal } } }",
        {"id": order.order_id},
    )["order"]
    lines = [line for line in api.data.dataset.order_items if line.order_id == order.order_id]
    assert Decimal(result["total"]) == order.total
    assert result["status"] == order.status.value
    assert result["customer"] == {"customerId": order.customer_id}
    assert [(i["itemId"], i["productId"], i["quantity"], Decimal(i["lineTotal"])) for i in result["items"]] == [
        (line.item_id, line.product_id, line.quantity, line.line_total) for line in lines
    ]


def test_ap6_products_in_the_order_asked_with_null_for_missing(api: Api) -> None:
    products = api.data.dataset.products
    missing = "prd_" + "0" * 32
    ids = [products[5].product_id, missing, products[1].product_id, products[5].product_id]
    response = api.post("query($ids: [ID!]!) { products(productIds: $ids) { productId price } }", {"ids": ids})
    result = response.json()["data"]["products"]
    assert [p and p["productId"] for p in result] == [ids[0], None, ids[2], ids[0]]
    assert Decimal(result[0]["price"]) == products[5].price
    assert response.headers["x-dynamodb-requests"] == "1"


def test_ap6_single_product(api: Api) -> None:
    product = api.data.dataset.products[0]
    result = api.data_of(
        "query($id: ID!) { product(productId: $id) { name category stock description } }", {"id": product.product_id}
    )["product"]
    assert result == {
        "name": product.name,
        "category": product.category,
        "stock": product.stock,
        "description": product.description,
    }


def test_ap7_orders_by_status_newest_first(api: Api) -> None:
    connection = api.data_of(
        "{ ordersByStatus(status: CANCELLED, first: 100) { edges { node { orderId status orderDate } } } }"
    )["ordersByStatus"]
    expected = sorted(
        (o for o in api.data.dataset.orders if o.status is OrderStatus.CANCELLED),
        key=lambda o: (o.order_date, o.order_id),
        reverse=True,
    )[:100]
    got = [edge["node"] for edge in connection["edges"]]
    assert {node["status"] for node in got} == {"CANCELLED"}
    assert [node["orderDate"] for node in got] == [o.order_date.isoformat() for o in expected]


def test_ap8_products_of_a_category_by_name(api: Api) -> None:
    connection = api.data_of('{ productsByCategory(category: "canonical", first: 100) { edges { node { name } } } }')[
        "productsByCategory"
    ]
    names = [edge["node"]["name"] for edge in connection["edges"]]
    assert names == sorted(p.name for p in api.data.dataset.products if p.category == "canonical")
    assert len(names) == 60


def test_missing_ids_are_null_not_errors(api: Api) -> None:
    body = api.query(
        """{ customer(customerId: "cus_00000000000000000000000000000000") { name }
             order(orderId: "ord_00000000000000000000000000000000") { orderId }
             product(productId: "prd_00000000000000000000000000000000") { name } }"""
    )
    assert "errors" not in body
    assert body["data"] == {"customer": None, "order": None, "product": None}


def test_a_customer_without_orders_has_an_empty_connection(api: Api) -> None:
    connection = api.data_of(
        "query($id: ID!) { customer(customerId: $id) { orderCount orders { totalCount edges { cursor } pageInfo { hasNextPage endCursor } } } }",
        {"id": api.data.loner.customer_id},
    )["customer"]
    assert connection == {
        "orderCount": 0,
        "orders": {"totalCount": 0, "edges": [], "pageInfo": {"hasNextPage": False, "endCursor": None}},
    }
