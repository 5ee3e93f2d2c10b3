"""Compiled plans answer exactly as the generic executor: byte for byte, status and body, on both backends.

Two apps on the same tables, one with plans off (Strawberry's own path, the reference) and one with plans
on, where the first run of a document teaches it and the second runs its plan. Every query document of the
test suite (module-level strings of tests/ and the example operations) is sent with variables filled from
the test data, as an admin, as the canonical customer and anonymously; then DIFF_EXAMPLES (250 per backend by
default, 1,100 with TEST_THOROUGH=1: tests/depth.py) queries generated from the schema by hypothesis-graphql, each as one of those callers. Each answer
must be identical, with the same request id, and must have come from a plan unless the plan refused it.
"""

from __future__ import annotations

import ast
import importlib
import itertools
import pkgutil
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLError,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLNonNull,
    GraphQLObjectType,
    OperationDefinitionNode,
    OperationType,
    get_named_type,
    parse,
    type_from_ast,
)
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import queries
from starlette.testclient import TestClient

import tests
from graphql_api.app import create_app
from graphql_api.cli import EXAMPLE_QUERY, ME_QUERY
from graphql_api.graphql.schema import Schema
from tests.depth import count
from tests.fixtures_data import CANONICAL_SUB
from tests.integration.test_fuzz import SCALARS
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.support import Api

EXAMPLES = count("DIFF_EXAMPLES", quick=250, thorough=1100)
E2E_OPERATIONS = Path(__file__).resolve().parents[2] / "e2e" / "operations"


@dataclass
class Both:
    generic: TestClient
    compiled: TestClient
    schema: Schema
    callers: dict[str, dict[str, str]]
    outcomes: Counter[str] = field(default_factory=Counter)
    sent: itertools.count[int] = field(default_factory=itertools.count)

    def compare(self, query: str, variables: dict[str, Any] | None, caller: str) -> str:
        """Send the operation both ways; the answers must be identical. Returns how the compiled app answered."""
        body = {"query": query, "variables": variables or {}}
        headers = {**self.callers[caller], "X-Request-ID": f"diff-{next(self.sent)}"}
        expected = self.generic.post("/graphql", json=body, headers=headers)
        plans = self.schema.plans
        operation_name = None
        plan = plans.get(query, operation_name)
        if plan is None:
            self.compiled.post("/graphql", json=body, headers=headers)  # the generic path, which teaches the plan
            plan = plans.get(query, operation_name)
        runs = plan.runs if plan else 0
        answered = self.compiled.post("/graphql", json=body, headers=headers)
        assert (answered.status_code, _same_batches(answered.text)) == (
            expected.status_code,
            _same_batches(expected.text),
        ), (query, variables)
        if plan is not None and plan.runs == runs + 1:
            way = "plan"
        else:  # why the plan did not answer: the generic path's request error, or a limit checked per request
            errors = expected.json().get("errors") if expected.status_code == 200 else None
            way = "generic: " + (errors[0]["extensions"]["code"] if errors else f"status {expected.status_code}")
        self.outcomes[way] += 1
        return way


def _same_batches(text: str) -> str:
    """The answer as sent, but for how many requests its loads took: DataLoader batches the loads of one tick, and
    which loads share a tick depends on when earlier answers arrived (a nested listing's products), on either path.
    The items examined and the capacity read do not depend on it, and stay compared."""
    return re.sub(r'"cost":\{"requests":\d+,', '"cost":{"requests":N,', text)


@pytest.fixture(scope="module")
def both(api: Api) -> Iterator[Both]:
    issuer = shared_issuer()
    callers = {"admin": admin_headers(), "customer": bearer(issuer.token(CANONICAL_SUB)), "anonymous": {}}
    # Both ways answer every query of the suite, as each caller: rates are not what they compare.
    settings = api.settings.replace(**{f"rate_limit_{who}": 1_000_000 for who in ("anonymous", "customer", "admin")})
    compiled_app = create_app(settings)
    with (
        TestClient(create_app(settings.replace(graphql_compiled_plans=False))) as generic,
        TestClient(compiled_app) as compiled,
    ):
        yield Both(generic, compiled, compiled_app.state.schema, callers)


def suite_queries() -> list[str]:
    """Every query document the tests send as a module-level string, and the example operations."""
    found = {EXAMPLE_QUERY, ME_QUERY}
    found |= {path.read_text() for path in E2E_OPERATIONS.glob("*.graphql")}
    for module_info in pkgutil.walk_packages(tests.__path__, "tests."):
        if module_info.name.endswith(("test_compiled_plans", "conftest")):
            continue
        module = importlib.import_module(module_info.name)
        found |= {value for value in vars(module).values() if isinstance(value, str) and "{" in value}
    for path in Path(tests.__file__).parent.rglob("*.py"):  # and every string literal written in a test
        tree = ast.parse(path.read_text())
        found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)}
    queries = []
    for text in sorted(found):
        try:
            document = parse(text)
        except GraphQLError:
            continue
        operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
        if len(operations) == 1 and operations[0].operation == OperationType.QUERY:
            queries.append(text)
    return queries


def variable_sets(schema: Schema, query: str, api: Api) -> list[dict[str, Any]]:
    """Values for the query's variables from the test data: every candidate id for an ID (one set each)."""
    data = api.data
    order = next(o for o in data.dataset.orders if o.customer_id == data.canonical.customer_id)
    ids = [data.canonical.customer_id, order.order_id, data.dataset.products[0].product_id, "missing-id"]
    simple: dict[str, Any] = {"String": "canonical", "Int": 3, "Boolean": True, "Float": 1.5}
    [operation] = [d for d in parse(query).definitions if isinstance(d, OperationDefinitionNode)]
    sets: list[dict[str, Any]] = [{}]
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        graphql_type: Any = type_from_ast(schema._schema, definition.type)
        required = isinstance(graphql_type, GraphQLNonNull)
        named = get_named_type(graphql_type)  # for a list: one element of the item type
        if name in ("after", "before"):
            continue
        if getattr(named, "name", "") == "ID":
            values: list[Any] = ids
        elif isinstance(named, GraphQLEnumType):
            values = list(named.values)[:2]
        elif isinstance(named, GraphQLInputObjectType):
            if required:
                return []  # an input object: a mutation's, not run here
            continue
        else:
            values = [simple.get(getattr(named, "name", ""), "x")]
        listed = graphql_type.of_type if isinstance(graphql_type, GraphQLNonNull) else graphql_type
        if hasattr(listed, "of_type"):
            values = [[value] for value in values]
        sets = [{**chosen, name: value} for chosen in sets for value in values]
    return sets


def test_every_query_of_the_test_suite_answers_alike_through_its_plan(both: Both, api: Api) -> None:
    queries = suite_queries()
    assert len(queries) >= 25
    compared = 0
    for query in queries:
        for variables in variable_sets(both.schema, query, api):
            for caller in both.callers:
                both.compare(query, variables, caller)
                compared += 1
    assert compared >= 100
    # Every query of the suite can be planned: none has a directive; a plan refuses only what fails before running.
    assert both.outcomes["plan"] >= 0.9 * compared, both.outcomes
    print(f"\n{len(queries)} queries of the test suite, {compared} comparisons: {dict(both.outcomes)}")


def test_generated_queries_answer_alike_through_their_plans(both: Both) -> None:
    schema = both.schema._schema
    before = Counter(both.outcomes)

    @seed(20261130)
    @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(queries(schema, custom_scalars=SCALARS), st.sampled_from(sorted(both.callers)))
    def run(query: str, caller: str) -> None:
        both.compare(query, None, caller)

    run()
    outcomes = both.outcomes - before
    assert sum(outcomes.values()) >= EXAMPLES
    # Most answers must come from plans for the comparison to exercise them; how many depends on the schema's shape
    # (hypothesis-graphql draws root fields in their order: 132-193 of 250 were seen), hence a margin.
    assert outcomes["plan"] >= 0.4 * EXAMPLES, outcomes
    print(f"\n{EXAMPLES} generated queries: {dict(outcomes)}")


# This round's fields (issue 26): filters, orderBy and totalCount on listings, Relay's node(id:) and pageInfo, and
# extensions.cost, as each caller, with the real ids of the test data (global ids read through the generic app).
ROUND_QUERIES = (
    """query($id: ID!) { customer(customerId: $id) { name
      orders(first: 3, orderBy: {orderDate: ASC}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor
        endCursor } edges { cursor node { id orderId total items { lineTotal product { id name price } } } } }
      recent: orders(last: 2, status: PAID) { totalCount edges { node { orderId status } } }
      dear: orders(first: 5, filter: {total: {gt: "50"}}) { totalCount edges { node { orderId total } } } } }""",
    """query($category: String!) { productsByCategory(category: $category, first: 4, orderBy: {name: DESC},
      filter: {price: {lt: "1000"}}) { totalCount pageInfo { hasNextPage endCursor }
      edges { node { id productId name price averageRating reviews(first: 2) { totalCount edges { node {
        id rating } } } } } } }""",
    """query($node: ID!) { node(id: $node) { id __typename ... on Order { orderId total customer { name }
      items { quantity product { id name } } } ... on Product { name price averageRating }
      ... on Customer { name orders(first: 2) { totalCount edges { node { orderId } } } } } }""",
    """query($category: String!) { listProducts(filter: {category: {eq: $category}}, first: 3) { totalCount
      edges { cursor node { productId name } } pageInfo { hasNextPage } } }""",
    """query { listCustomers(first: 2, filter: {name: {eq: "nobody"}}) { totalCount edges { node { name } } } }""",
    """query($id: ID!) { order(orderId: $id) { orderId customer { name orders(first: 1) { edges { node {
      orderId } } } } items { product { name reviews(first: 1) { edges { node { rating } } } } } } }""",
)


def _global_ids(both: Both, api: Api) -> dict[str, Any]:
    """The canonical customer's, one of its orders' and a product's global ids, as the generic app gives them."""
    query = """query($id: ID!) { customer(customerId: $id) { id orders(first: 1) { edges { node { id orderId
      items { product { id category } } } } } } }"""
    body = {"query": query, "variables": {"id": api.data.canonical.customer_id}}
    customer = both.generic.post("/graphql", json=body, headers=both.callers["admin"]).json()["data"]["customer"]
    order = customer["orders"]["edges"][0]["node"]
    product = order["items"][0]["product"]
    return {"customer": customer["id"], "order": order["id"], "orderId": order["orderId"], **product}


def test_this_rounds_fields_answer_alike_through_their_plans(both: Both, api: Api) -> None:
    ids = _global_ids(both, api)
    values = {
        "id": [api.data.canonical.customer_id, ids["orderId"], "missing-id"],
        "node": [ids["customer"], ids["order"], ids["id"], "bm90LWFuLWlk"],
        "category": [ids["category"], "none-such"],
    }
    before = Counter(both.outcomes)
    for query in ROUND_QUERIES:
        names = [name for name in values if f"${name}:" in query]
        for chosen in itertools.product(*(values[name] for name in names)):
            for caller in both.callers:
                both.compare(query, dict(zip(names, chosen, strict=True)), caller)
    outcomes = both.outcomes - before
    assert outcomes["plan"] >= 0.9 * sum(outcomes.values()), outcomes


def test_a_plan_completes_the_canonical_page_without_graphql_cores_resolvers(both: Both, api: Api) -> None:
    """The fields a plan completes itself (compiled_fields) never reach graphql-core's resolver (Strawberry's wrapper),
    and the answer takes exactly the generic path's DynamoDB requests (the DataLoaders batch as before)."""
    schema = both.schema._schema
    called: Counter[str] = Counter()
    fields = [("OrderItem", "product"), ("Order", "items"), ("OrderConnection", "edges"), ("OrderEdge", "node")]
    kept: dict[str, tuple[GraphQLField, Any]] = {}
    for type_name, field_name in fields:
        object_type = schema.type_map[type_name]
        assert isinstance(object_type, GraphQLObjectType)
        graphql_field = object_type.fields[field_name]
        kept[f"{type_name}.{field_name}"] = (graphql_field, graphql_field.resolve)
        graphql_field.resolve = _counting(graphql_field.resolve, f"{type_name}.{field_name}", called)
    try:
        body = {"query": EXAMPLE_QUERY, "variables": {"id": api.data.canonical.customer_id}}
        headers = both.callers["admin"]
        expected = both.generic.post("/graphql", json=body, headers=headers)
        both.compiled.post("/graphql", json=body, headers=headers)  # the generic path (or the plan, if made already)
        called.clear()
        answered = both.compiled.post("/graphql", json=body, headers=headers)
    finally:
        for graphql_field, resolve in kept.values():
            graphql_field.resolve = resolve
    assert answered.text == expected.text
    assert answered.headers["x-dynamodb-requests"] == expected.headers["x-dynamodb-requests"] == "4"
    assert not called, called


def _counting(resolve: Any, name: str, called: Counter[str]) -> Any:
    def counting(source: Any, info: Any, **kwargs: Any) -> Any:
        called[name] += 1
        return resolve(source, info, **kwargs)

    return counting
