"""`graphql-api explain`: the planner's decisions for a document, read from the same field declarations the API
runs, with nothing read from DynamoDB."""

from __future__ import annotations

import pytest

from graphql_api.cli.main import main
from graphql_api.graphql.schema import build_schema
from graphql_api.ops.explain import explain

SCHEMA = build_schema()._schema

QUERY = """query($statuses: [OrderStatus!]!) {
  listOrders(filter: {status: {in: $statuses}, total: {gt: "100"}}, orderBy: {orderDate: ASC}) {
    edges { node { customer { orders(filter: {status: {eq: PAID}}) { totalCount } } } }
  }
  listProducts(filter: {price: {lt: "5"}}) { totalCount }
  customer(customerId: "cus_1") { name }
}"""


def test_each_listing_of_a_document_is_planned_and_a_refusal_named() -> None:
    found = {each.path: each for each in explain(SCHEMA, QUERY, {"statuses": ["PAID", "SHIPPED"]}, read_budget=10)}
    assert set(found) == {"listOrders", "listOrders.edges.node.customer.orders", "listProducts"}
    orders = found["listOrders"].plan
    assert orders is not None
    assert (orders["index"], orders["queries"], orders["scanIndexForward"]) == ("StatusIndex", 2, True)
    assert orders["filterExpression"] == "#n1 > :v2"
    assert orders["worstCaseReads"] == 11  # the budget, and one more Query in the last round
    nested = found["listOrders.edges.node.customer.orders"].plan
    assert nested is not None
    assert (nested["index"], nested["keyCondition"], nested["filterExpression"]) == (
        "CustomerIndex",
        "#n0 = :v0",
        "#n1 = :v1",
    )
    assert found["listProducts"].plan is None
    assert "on one of category" in (found["listProducts"].refusal or "")


def test_the_command_prints_the_plan_and_exits_1_on_a_refusal(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["explain", QUERY, "--variables", '{"statuses": ["PAID"]}']) == 1
    printed = capsys.readouterr().out
    assert "  index: StatusIndex" in printed
    assert "  refused: filter: no index serves this filter" in printed
    assert main(["explain", '{ listReviews(filter: {productId: {eq: "prd_1"}}) { totalCount } }']) == 0


def test_an_invalid_document_or_variables_are_named() -> None:
    with pytest.raises(ValueError, match="Cannot query field 'nope'"):
        explain(SCHEMA, "{ nope }", {}, read_budget=10)
    with pytest.raises(ValueError, match="statuses"):
        explain(SCHEMA, QUERY, {}, read_budget=10)
