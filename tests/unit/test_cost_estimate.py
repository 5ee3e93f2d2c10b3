"""The cost estimate (graphql_api.graphql.cost): each field priced as it runs, summed over the whole document."""

from __future__ import annotations

from typing import Any

import pytest
import strawberry
from graphql import GraphQLList, GraphQLNonNull, GraphQLObjectType, GraphQLScalarType, get_named_type, parse

from graphql_api.cli import EXAMPLE_QUERY, ME_QUERY
from graphql_api.errors import QueryTooComplex
from graphql_api.graphql.cost import Cost, estimate, prices, unpriced_fields
from graphql_api.graphql.limits import check_shape
from graphql_api.graphql.schema import build_schema
from graphql_api.settings import Settings

READ_BUDGET = 10
SCHEMA = build_schema()._schema
FIELDS = prices(SCHEMA)
REVIEWS = "edges { node { title } }"


def requests(query: str, variables: dict[str, Any] | None = None) -> int:
    return estimate(SCHEMA, parse(query), variables or {}, READ_BUDGET).requests


def test_every_object_field_of_the_schema_is_priced_and_nothing_else() -> None:
    """A new relationship field must say what it costs: unpriced, it would be free to nest."""
    schema = SCHEMA
    expected = set()
    for type_ in schema.type_map.values():
        if not isinstance(type_, GraphQLObjectType) or type_.name.startswith("__"):
            continue
        for name, field in type_.fields.items():
            if isinstance(get_named_type(field.type), GraphQLObjectType) or type_.name in ("Mutation", "Query"):
                expected.add((type_.name, name))
                returns = get_named_type(field.type).name
                assert FIELDS[(type_.name, name)].returns == returns, (type_.name, name)
    assert expected <= set(FIELDS)
    # Beyond those, only leaves that read DynamoDB (Cart.subtotal loads its lines' products): loads of a scalar.
    for type_name, name in set(FIELDS) - expected:
        parent = schema.type_map[type_name]
        assert isinstance(parent, GraphQLObjectType), (type_name, name)
        assert name in parent.fields, (type_name, name)
        assert isinstance(get_named_type(parent.fields[name].type), GraphQLScalarType), (type_name, name)
        assert FIELDS[(type_name, name)].kind == "load", (type_name, name)


def test_list_sizes_match_the_schema() -> None:
    schema = SCHEMA
    for (type_name, name), priced in FIELDS.items():
        parent = schema.type_map[type_name]
        assert isinstance(parent, GraphQLObjectType)
        field_type = parent.fields[name].type
        inner = field_type.of_type if isinstance(field_type, GraphQLNonNull) else field_type
        is_list = isinstance(inner, GraphQLList)
        if priced.kind == "query" and is_list:
            # A list one Query reads (categories): per_parent is its size.
            assert priced.per_parent > 1, (type_name, name)
            continue
        # per_parent is a list's size only for objects: a write's requests, a query's items, a leaf's keys are not.
        of_objects = isinstance(get_named_type(field_type), GraphQLObjectType) and priced.kind not in ("write", "query")
        listed = priced.kind == "edges" or name == "products" or (priced.per_parent > 1 and of_objects)
        assert is_list == listed, (type_name, name)


def test_the_canonical_query_is_priced_within_the_budget() -> None:
    """customer, orders page, its lines (20 orders x at most 25 lines: 5 batches), their products (5)."""
    assert requests(EXAMPLE_QUERY, {"id": "cus_x"}) == requests(ME_QUERY) == 12
    assert Settings().graphql_max_requests >= 12


def test_sibling_listings_are_summed_not_the_widest_taken() -> None:
    one = requests(
        f'{{ productsByCategory(category: "c", first: 10) {{ edges {{ node {{ reviews {{ {REVIEWS} }} }} }} }} }}'
    )
    two = requests(
        f'{{ productsByCategory(category: "c", first: 10) {{ edges {{ node {{ a: reviews {{ {REVIEWS} }} '
        f"b: reviews {{ {REVIEWS} }} }} }} }} }}"
    )
    assert (one, two) == (1 + 10, 1 + 20)


def test_fragments_and_inline_fragments_count_as_their_fields() -> None:
    aliases = " ".join(f"r{n}: reviews(first: 19) {{ {REVIEWS} }}" for n in range(29))
    inline = " ".join(f"... on Product {{ r{n}: reviews(first: 19) {{ {REVIEWS} }} }}" for n in range(29))
    page = '{ productsByCategory(category: "c", first: 100) { edges { node { %s } } } }'
    spread = page % "...F" + f" fragment F on Product {{ {aliases} }}"
    assert requests(page % aliases) == requests(page % inline) == requests(spread) == 1 + 100 * 29


def test_the_issue_s_attacks_are_refused_by_the_request_budget_alone() -> None:
    aliases = " ".join(f"r{n}: reviews(first: 19) {{ {REVIEWS} }}" for n in range(29))
    query = f'{{ productsByCategory(category: "c", first: 100) {{ edges {{ node {{ {aliases} }} }} }} }}'
    with pytest.raises(QueryTooComplex) as refused:
        check_shape(SCHEMA, parse(query), {}, Settings())
    assert refused.value.extensions == {"limit": "requests", "allowed": 50}
    # The same document within a budget large enough: every other limit lets it through.
    assert check_shape(SCHEMA, parse(query), {}, Settings(graphql_max_requests=3000)) == Cost(2901, 100 * 29 * 20 + 101)


def test_a_load_under_a_list_is_one_batch_per_100_keys() -> None:
    ids = [f"prd_{n}" for n in range(100)]
    assert requests("query($ids: [ID!]!) { products(productIds: $ids) { name } }", {"ids": ids}) == 1
    query = "{ products(productIds: $ids) { reviews(first: 1) { edges { node { product { name } } } } } }"
    # 100 reviews pages arrive one by one: a load below them is a batch per page, not one for all.
    assert requests("query($ids: [ID!]!) " + query, {"ids": ids}) == 1 + 100 + 100


def test_lines_prefetched_with_a_page_cost_a_batch_per_page_not_per_order() -> None:
    query = "query { ordersByStatus(status: PAID, first: 4) { edges { node { items { product { name } } } } } }"
    # 4 orders x 25 lines = 100 keys: one batch of lines, one of products.
    assert requests(query) == 1 + 1 + 1
    alone = '{ order(orderId: "ord_x") { items { product { name } } } }'
    assert requests(alone) == 1 + 1 + 1


def test_a_filtered_listing_may_read_up_to_the_read_budget() -> None:
    query = "query($s: OrderStatus) { me { orders(first: 5, status: $s) { edges { node { orderId } } } } }"
    assert requests(query, {"s": "PAID"}) == 1 + READ_BUDGET
    assert requests(query, {"s": None}) == 1 + 1
    assert requests("{ me { orders(first: 5, status: null) { edges { node { orderId } } } } }") == 1 + 1


def test_variables_take_the_operation_s_defaults() -> None:
    query = 'query($n: Int = 2) { productsByCategory(category: "c", first: $n) { edges { node { reviews { %s } } } } }'
    assert requests(query % REVIEWS) == 1 + 2
    assert requests(query % REVIEWS, {"n": 30}) == 1 + 30


def test_leaves_introspection_and_typename_cost_nothing() -> None:
    assert requests("{ __typename __schema { types { name fields { name } } } }") == 0


def test_mutations_are_priced_with_their_answer() -> None:
    query = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId items { product { name } } } }"
    # Its writes and reads (from the cart: its Query too), then the answer's lines and their products.
    assert requests(query) == 4 + 1 + 1


@strawberry.type
class Thing:
    name: str


@strawberry.type
class Holder:
    @strawberry.field
    def thing(self) -> Thing:
        return Thing(name="x")


@strawberry.type
class UnpricedQuery:
    @strawberry.field
    def holder(self) -> Holder:
        return Holder()


def test_a_relationship_without_a_declared_price_stops_the_schema() -> None:
    """A resolver returning an object, and every root field, must declare its price (graphql_api.graphql.price)."""
    assert unpriced_fields(strawberry.Schema(query=UnpricedQuery)._schema) == ["UnpricedQuery.holder", "Holder.thing"]
    assert unpriced_fields(SCHEMA) == []
