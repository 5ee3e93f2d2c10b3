"""Which documents read public data only, decided from the schema's access rules (graphql_api.graphql.public_documents)."""

from __future__ import annotations

import pytest

from graphql_api.graphql.public_documents import PublicDocuments
from graphql_api.graphql.schema import build_schema


@pytest.fixture(scope="module")
def public() -> PublicDocuments:
    return PublicDocuments(build_schema()._schema)


PUBLIC = {
    "product": '{ product(productId: "p") { productId name price averageRating reviewCount } }',
    "catalog page": """query Page($c: String!) { productsByCategory(category: $c, first: 5) {
        edges { cursor node { name reviews(first: 2) { edges { node { title authorName rating } } } } }
        pageInfo { hasNextPage endCursor } } }""",
    "fragments": """query { ...Q } fragment Q on Query { product(productId: "p") { ...P } }
        fragment P on Product { name price }""",
    "node of a product": '{ node(id: "x") { id ... on Product { name } } }',
    "the schema's shape": "{ __typename }",
}

PRIVATE = {
    "me": "{ me { name email } }",
    "a customer": '{ customer(customerId: "c") { name email } }',
    "orders by status": "{ ordersByStatus(status: PAID, first: 2) { edges { node { orderId } } } }",
    "a public page with a private field beside it": '{ product(productId: "p") { name } me { name } }',
    "a mutation": 'mutation { deleteReview(productId: "p", reviewId: "r") }',
    "a field the schema does not have": '{ product(productId: "p") { secret } }',
    "text that does not parse": "{ product(",
}


@pytest.mark.parametrize("text", PUBLIC.values(), ids=PUBLIC.keys())
def test_documents_anyone_may_read_are_public(public: PublicDocuments, text: str) -> None:
    assert public.is_public(text, None)


@pytest.mark.parametrize("text", PRIVATE.values(), ids=PRIVATE.keys())
def test_documents_touching_a_signed_in_callers_data_are_not(public: PublicDocuments, text: str) -> None:
    assert not public.is_public(text, None)


def test_the_operation_named_is_the_one_judged(public: PublicDocuments) -> None:
    text = 'query Open { product(productId: "p") { name } } query Mine { me { name } }'
    assert public.is_public(text, "Open")
    assert not public.is_public(text, "Mine")
    assert not public.is_public(text, None)  # ambiguous without a name: nothing is shared
