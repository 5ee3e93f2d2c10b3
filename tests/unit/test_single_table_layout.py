"""The single-table layout derived from the declarations, and `migrate plan`'s mapping (no DynamoDB needed)."""

from __future__ import annotations

from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.ops.migration_plan import canonical_plan, pattern_plans, plan_lines
from graphql_api.ops.patterns import PATTERNS
from graphql_api.ops.single_table import Layout
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.reviews import REVIEWS


def test_the_plan_maps_every_entity_and_every_access_pattern() -> None:
    layout = Layout()
    lines = plan_lines(layout)
    for entity in DATA_ENTITIES:
        assert any(line.startswith(f"  {entity.table.name} -> Type=") for line in lines), entity
    plans = pattern_plans(layout)
    assert [plan.number for plan in plans] == [pattern.number for pattern in PATTERNS]
    assert all(plan.faux_sql_requests >= 1 and plan.single_table_requests >= 1 for plan in plans)
    assert lines[-3] == "canonical query (a customer, 20 orders, their lines, the products): 4 requests -> 2"


def test_a_customers_orders_and_their_lines_share_the_customers_collection() -> None:
    layout = Layout()
    customer = layout.to_single(CUSTOMERS, {"CustomerId": "cus_1", "Email": "a@example.com"})
    order = layout.to_single(
        ORDERS, {"OrderId": "ord_1", "CustomerId": "cus_1", "OrderDate": "2026-01-02T00:00:00Z", "Status": "PAID"}
    )
    line = layout.to_single(ORDER_ITEMS, {"OrderId": "ord_1", "ItemId": "0001"}, order)
    assert customer["PK"] == order["PK"] == line["PK"] == "CUSTOMER#cus_1"
    # Descending: the customer first, then each order's lines just before the order itself.
    assert customer["SK"] > line["SK"] > order["SK"]
    assert line["SK"].startswith(order["SK"])
    # By its key alone, through GSI1: the order and its lines.
    assert (order["GSI1PK"], line["GSI1PK"]) == ("ORDER#ord_1", "ORDER#ord_1")
    assert order["GSI2PK"] == "ORDER#STATUS#PAID"
    assert "GSI1PK" in customer  # EmailIndex, overloaded on GSI1


def test_an_item_round_trips_and_a_missing_index_attribute_leaves_it_out_of_that_gsi() -> None:
    layout = Layout()
    review = {"ProductId": "prd_1", "ReviewId": "rev_1", "Rating": 5, "Version": 2}
    stored = layout.to_single(REVIEWS, review)
    assert (stored["PK"], stored["SK"]) == ("PRODUCT#prd_1", "REVIEW#rev_1")
    assert "GSI1PK" not in stored  # no CustomerId: sparse, as the declared index is
    assert layout.from_single(stored) == (REVIEWS, review)


def test_the_canonical_plan_follows_the_placements() -> None:
    layout = Layout()
    plan = canonical_plan(layout, pattern_plans(layout))
    assert (plan.faux_sql_requests, plan.single_table_requests) == (4, 2)
    assert plan.single_table[0].startswith(
        "Query, descending, PK=CUSTOMER#{CustomerId}: the customer, Orders, OrderItems"
    )
