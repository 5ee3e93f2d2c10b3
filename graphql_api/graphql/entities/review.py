"""Reviews (AP9, AP10): the Review type, public like the product it is about, and its mutations."""

from __future__ import annotations

from datetime import datetime

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.errors import NotFound
from graphql_api.graphql.access import CUSTOMERS_ONLY, EVERYONE, SIGNED_IN, public
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._listed import filtered_list
from graphql_api.graphql.entities._node import Node
from graphql_api.graphql.entities._related import related_object
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.fields import mutation
from graphql_api.graphql.price import costs
from graphql_api.repositories import reviews
from graphql_api.repositories.products import PRODUCTS
from graphql_api.validation import check_range, check_text


@public
@strawberry.type
class Review(DomainType, Node):
    review_id: strawberry.ID
    product_id: strawberry.ID
    author_name: str = strawberry.field(description="The author's name when the review was written.")
    rating: int = strawberry.field(description="1 to 5.")
    title: str
    body: str
    created_at: datetime

    # Lazy: the product module shows this type in Product.reviews.
    product = related_object(PRODUCTS, "product_id", LazyType("Product", "graphql_api.graphql.entities.product"))


@strawberry.input
class CreateReviewInput:
    product_id: strawberry.ID
    rating: int = strawberry.field(description="1 to 5.")
    title: str
    body: str


@strawberry.type
class ReviewQuery:
    list_reviews = filtered_list(reviews.REVIEWS, Review, EVERYONE)


@strawberry.type
class ReviewMutation:
    @mutation(
        CUSTOMERS_ONLY,
        costs("write", 2),
        (
            "The caller's review of a product (one per customer and product: CONFLICT); shown with "
            "their customer's name. Keeps the product's reviewCount and averageRating in the same transaction."
        ),
    )
    async def create_review(self, info: Info, input: CreateReviewInput) -> Review:
        customer_id = info.context.identity.customer_id
        if customer_id is None:
            raise NotFound("create your customer first (createCustomer)", field="customerId")
        review = await reviews.create(
            info.context.dynamo,
            customer_id,
            PRODUCTS.check_id(input.product_id, "productId"),
            rating=check_range(input.rating, "rating", 1, 5),
            title=check_text(input.title, "title", reviews.MAX_TITLE_LENGTH),
            body=check_text(input.body, "body", reviews.MAX_BODY_LENGTH, multiline=True),
        )
        return Review.from_domain(review)

    @mutation(SIGNED_IN, costs("write", 2), "A customer deletes their own reviews; staff and admins any.")
    async def delete_review(self, info: Info, product_id: strawberry.ID, review_id: strawberry.ID) -> bool:
        identity = info.context.identity
        await reviews.delete(
            info.context.dynamo,
            PRODUCTS.check_id(product_id, "productId"),
            reviews.REVIEWS.check_id(review_id, "reviewId"),
            author=None if identity.is_staff else identity.customer_id,
        )
        return True


ROOTS = Roots(
    reviews.REVIEWS,
    query=ReviewQuery,
    mutation=ReviewMutation,
    samples={
        "AP9": "query($r: ID!) { product(productId: $r) { reviews(first: 5) { edges { node { reviewId } } } } }",
        "AP10": "query($a: ID!) { customer(customerId: $a) { reviews(first: 5) { edges { node { reviewId } } } } }",
    },
)
