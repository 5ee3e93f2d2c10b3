"""The single-table layout's promise, measured on both backends: the canonical query in 2 requests (faux-SQL: 4).

The test data's canonical customer (20 orders of 3 lines over 60 products) is written through the layout into a
real single table; the canonical read runs real Query and BatchGetItem calls, counted as a request counts them.
"""

from __future__ import annotations

import re
from typing import Any

import pytest

from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.ops.migration_plan import canonical_plan, pattern_plans
from graphql_api.ops.patterns import PATTERNS
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_reads import CustomerPage, customer_page
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.request_scope import request_scope
from tests import fixtures_data
from tests.operations import CANONICAL
from tests.support import Api, fresh_settings, run_cli, run_with_dynamo


def _canonical_items(layout: Layout, data: fixtures_data.TestData) -> list[dict[str, Any]]:
    """The canonical customer, their orders, the orders' lines and the lines' products, in the layout's shape."""
    customer = data.canonical
    orders = {
        order.order_id: ORDERS.to_item(order)
        for order in data.dataset.orders
        if order.customer_id == customer.customer_id
    }
    lines = [line for line in data.dataset.order_items if line.order_id in orders]
    product_ids = {line.product_id for line in lines}
    items = [layout.to_single(CUSTOMERS, CUSTOMERS.to_item(customer))]
    items += [layout.to_single(ORDERS, order) for order in orders.values()]
    items += [layout.to_single(ORDER_ITEMS, ORDER_ITEMS.to_item(line), orders[line.order_id]) for line in lines]
    items += [
        layout.to_single(PRODUCTS, PRODUCTS.to_item(product))
        for product in data.dataset.products
        if product.product_id in product_ids
    ]
    return items


def test_the_canonical_query_costs_2_requests_in_the_single_table(endpoint: str, api: Api) -> None:
    layout = Layout()
    data = api.data
    settings = fresh_settings(endpoint)

    async def write_then_read(dynamo: Dynamo) -> tuple[CustomerPage, int]:
        await create_tables(dynamo, tables=(layout.table,))
        await put_items(dynamo, layout.table, _canonical_items(layout, data))
        with request_scope() as scope:
            page = await customer_page(dynamo, layout, data.canonical.customer_id, first=20)
        return page, scope.dynamodb_requests

    page, requests = run_with_dynamo(settings, write_then_read)
    plan = canonical_plan(layout, pattern_plans(layout))
    assert requests == plan.single_table_requests == 2

    # The same answer the faux-SQL layout gives, which costs what the plan says it does.
    faux = api.post(CANONICAL, {"id": data.canonical.customer_id})
    assert faux.headers["x-dynamodb-requests"] == str(plan.faux_sql_requests) == "4"
    edges = faux.json()["data"]["customer"]["orders"]["edges"]
    assert page.customer is not None
    assert page.customer["Name"] == data.canonical.name
    assert [order["OrderId"] for order in page.orders] == [edge["node"]["orderId"] for edge in edges]
    assert page.has_next is faux.json()["data"]["customer"]["orders"]["pageInfo"]["hasNextPage"]
    for order, edge in zip(page.orders, edges, strict=True):
        assert [line["Quantity"] for line in page.lines[order["OrderId"]]] == [
            item["quantity"] for item in edge["node"]["items"]
        ]
        assert [page.products[line["ProductId"]]["Name"] for line in page.lines[order["OrderId"]]] == [
            item["product"]["name"] for item in edge["node"]["items"]
        ]


@pytest.mark.one_backend
def test_plan_measure_prints_what_check_patterns_measures_in_faux_sql(api: Api) -> None:
    """`migrate plan --measure` beside the derived counts: check-patterns' run on the seeded tables, every pattern."""
    completed = run_cli(api.settings, "migrate", "plan", "--measure", timeout=120)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    measured = dict(
        re.findall(r"^  (AP\d+) .*: \d+ -> \d+ \(check-patterns measured (\d+) in faux-SQL\)$", completed.stdout, re.M)
    )
    assert list(measured) == [pattern.number for pattern in PATTERNS]
    # The sample operations read at least the pattern's own request (some read a parent first).
    assert all(int(count) >= 1 for count in measured.values())
