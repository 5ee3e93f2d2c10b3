"""Product reviews (AP9, AP10) on both backends: listings to the end, one review per customer and product
under concurrency, exact aggregates, deletion, bad input, and what they cost."""

from __future__ import annotations

import asyncio
import uuid
from decimal import Decimal
from typing import Any

import pytest

from tests.issuer import bearer, shared_issuer
from tests.operations import create_product
from tests.support import Api, outcomes, post_concurrently, snapshot

CREATE_CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId name } }"
CREATE_REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { reviewId productId authorName rating } }"
DELETE_REVIEW = "mutation($p: ID!, $r: ID!) { deleteReview(productId: $p, reviewId: $r) }"
PRODUCT_REVIEWS = """query($id: ID!, $after: String) { product(productId: $id) { reviewCount averageRating
  reviews(first: 7, after: $after) { totalCount edges { node { reviewId rating createdAt authorName } }
  pageInfo { hasNextPage endCursor } } } }"""
MY_REVIEWS = """query($after: String) { me { reviews(first: 5, after: $after) {
  edges { node { reviewId productId createdAt } } pageInfo { hasNextPage endCursor } } } }"""


def signed_up(api: Api, name: str = "Reviewer") -> dict[str, str]:
    """A new identity with its own customer: its Authorization header."""
    headers = bearer(shared_issuer().token(f"reviewer-{uuid.uuid4().hex[:10]}"))
    api.data_of(CREATE_CUSTOMER, {"i": {"email": f"{uuid.uuid4().hex[:10]}@example.com", "name": name}}, headers)
    return headers


def review(api: Api, headers: dict[str, str], product_id: str, rating: int = 4, **changes: Any) -> dict[str, Any]:
    body = api.query(
        CREATE_REVIEW,
        {"i": {"productId": product_id, "rating": rating, "title": "Fine", "body": "Works.", **changes}},
        headers,
    )
    return body


def walk(
    api: Api, query: str, variables: dict[str, Any], path: list[str], headers: dict[str, str] | None = None
) -> list[list[dict[str, Any]]]:
    pages = []
    after = None
    for _ in range(50):
        data = api.data_of(query, {**variables, "after": after}, headers)
        for step in path:
            data = data[step]
        pages.append([edge["node"] for edge in data["edges"]])
        if not data["pageInfo"]["hasNextPage"]:
            return pages
        after = data["pageInfo"]["endCursor"]
    raise AssertionError("the walk did not end")


def test_a_products_reviews_page_to_the_end_newest_first_in_full_pages(api: Api) -> None:
    product = create_product(api)
    written = [review(api, signed_up(api, f"Author {n}"), product["productId"], rating=1 + n % 5) for n in range(17)]
    assert all("errors" not in body for body in written)
    pages = walk(api, PRODUCT_REVIEWS, {"id": product["productId"]}, ["product", "reviews"], headers={})
    assert [len(page) for page in pages] == [7, 7, 3]
    nodes = [node for page in pages for node in page]
    assert [node["reviewId"] for node in nodes] == sorted(
        (b["data"]["createReview"]["reviewId"] for b in written), reverse=True
    )
    assert [node["createdAt"] for node in nodes] == sorted((node["createdAt"] for node in nodes), reverse=True)
    first = api.data_of(PRODUCT_REVIEWS, {"id": product["productId"]}, {})["product"]
    assert first["reviewCount"] == first["reviews"]["totalCount"] == 17
    ratings = [1 + n % 5 for n in range(17)]
    assert Decimal(first["averageRating"]) == (Decimal(sum(ratings)) / 17).quantize(Decimal("0.01"))


def test_a_customers_reviews_page_to_the_end_through_me(api: Api) -> None:
    headers = signed_up(api)
    products = [create_product(api)["productId"] for _ in range(12)]
    for product_id in products:
        assert "errors" not in review(api, headers, product_id)
    pages = walk(api, MY_REVIEWS, {}, ["me", "reviews"], headers)
    assert [len(page) for page in pages] == [5, 5, 2]
    assert [node["productId"] for page in pages for node in page] == list(reversed(products))


def _review_body(product_id: str, rating: int) -> dict[str, Any]:
    return {
        "query": CREATE_REVIEW,
        "variables": {"i": {"productId": product_id, "rating": rating, "title": "Race", "body": "Go."}},
    }


def test_twenty_concurrent_reviews_by_one_customer_make_one(api: Api, live_url: str) -> None:
    product = create_product(api)["productId"]
    headers = signed_up(api)
    results = asyncio.run(post_concurrently(live_url, [_review_body(product, 5)] * 20, headers))
    assert outcomes(results) == {"ok": 1, "CONFLICT": 19}
    shown = api.data_of(PRODUCT_REVIEWS, {"id": product}, {})["product"]
    assert (shown["reviewCount"], shown["averageRating"], len(shown["reviews"]["edges"])) == (1, "5.00", 1)


def test_twenty_customers_reviewing_at_once_keep_the_aggregates_exact(api: Api, live_url: str) -> None:
    product = create_product(api)["productId"]
    ratings = [1 + n % 5 for n in range(20)]
    bodies = [_review_body(product, rating) for rating in ratings]
    results = asyncio.run(post_concurrently(live_url, bodies, [signed_up(api) for _ in ratings]))
    assert outcomes(results) == {"ok": 20}
    shown = api.data_of(PRODUCT_REVIEWS, {"id": product}, {})["product"]
    assert shown["reviewCount"] == 20
    assert Decimal(shown["averageRating"]) == Decimal(sum(ratings)) / 20
    stored = next(p for p in snapshot(api.settings)["Products"] if p["ProductId"] == product)
    assert (stored["ReviewCount"], stored["RatingSum"]) == (20, sum(ratings))


def test_deleting_a_review_restores_the_aggregates_and_lets_the_author_review_again(api: Api) -> None:
    product = create_product(api)["productId"]
    author, other = signed_up(api), signed_up(api)
    kept = review(api, other, product, rating=2)["data"]["createReview"]
    mine = review(api, author, product, rating=5)["data"]["createReview"]
    assert api.data_of(PRODUCT_REVIEWS, {"id": product}, {})["product"]["averageRating"] == "3.50"
    # Another customer cannot delete it (and cannot tell it exists); its author can.
    denied = api.query(DELETE_REVIEW, {"p": product, "r": mine["reviewId"]}, other)
    assert denied["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    assert api.data_of(DELETE_REVIEW, {"p": product, "r": mine["reviewId"]}, author) == {"deleteReview": True}
    shown = api.data_of(PRODUCT_REVIEWS, {"id": product}, {})["product"]
    assert (shown["reviewCount"], shown["averageRating"]) == (1, "2.00")
    assert [edge["node"]["reviewId"] for edge in shown["reviews"]["edges"]] == [kept["reviewId"]]
    again = review(api, author, product, rating=4)
    assert "errors" not in again, again
    gone = api.query(DELETE_REVIEW, {"p": product, "r": mine["reviewId"]}, author)
    assert gone["errors"][0]["extensions"]["code"] == "NOT_FOUND"


def test_a_review_needs_a_customer_and_an_existing_product(api: Api) -> None:
    product = create_product(api)["productId"]
    no_customer = bearer(shared_issuer().token(f"nobody-{uuid.uuid4().hex[:8]}"))
    assert review(api, no_customer, product)["errors"][0]["extensions"]["code"] == "NOT_FOUND"
    missing = review(api, signed_up(api), "prd_" + "0" * 32)
    assert missing["errors"][0]["extensions"] == {"code": "NOT_FOUND", "field": "productId"}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"rating": 0}, "rating"),
        ({"rating": 6}, "rating"),
        ({"rating": -1}, "rating"),
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"title": "two\nlines"}, "title"),
        ({"body": ""}, "body"),
        ({"body": "x" * 2001}, "body"),
        ({"productId": "not-an-id"}, "productId"),
    ],
)
def test_bad_review_input_names_the_field_and_writes_nothing(api: Api, changes: dict[str, Any], field: str) -> None:
    headers = signed_up(api)
    product = create_product(api)["productId"]
    before = snapshot(api.settings)
    response = api.post(
        CREATE_REVIEW,
        {"i": {"productId": product, "rating": 3, "title": "Fine", "body": "Works.", **changes}},
        headers,
    )
    error = response.json()["errors"][0]
    assert error["extensions"]["code"] == "BAD_USER_INPUT", error
    assert error["extensions"]["field"] == field, error
    assert response.headers["x-dynamodb-requests"] == "0"
    assert snapshot(api.settings) == before


def test_a_products_reviews_with_their_product_cost_two_requests(api: Api) -> None:
    product = create_product(api)["productId"]
    for _ in range(3):
        review(api, signed_up(api), product)
    query = "query($id: ID!) { product(productId: $id) { name reviews { edges { node { title product { name } } } } } }"
    response = api.post(query, {"id": product}, {})
    assert len(response.json()["data"]["product"]["reviews"]["edges"]) == 3
    assert response.headers["x-dynamodb-requests"] == "2"  # the product (BatchGetItem), its reviews (Query)
