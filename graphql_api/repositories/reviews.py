"""Reviews of products (AP9: a product's, newest first; AP10: a customer's, newest first).

The composite key (ProductId, ReviewId) is the faux-SQL hierarchy of a 1:N relationship, and ReviewIds
sort by time, so key order is time order. One review per customer and product is enforced atomically
by a guard item (declared `unique`: ProductReviewers, keyed by ProductId and CustomerId) written in the review's own
transaction, which also keeps the product's ReviewCount and RatingSum (its average rating).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import changed_concurrently
from graphql_api.entity import Entity, Reference, Unique
from graphql_api.errors import Conflict, NotFound
from graphql_api.repositories import counters
from graphql_api.repositories._access import uses
from graphql_api.repositories._stamp import Stamp
from graphql_api.repositories._unique import claim, release
from graphql_api.repositories._writes import (
    Check,
    commit,
    condition_check,
    created,
    delete_if,
    get,
    insert,
    versioned_update,
)
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.products import PRODUCTS

MAX_TITLE_LENGTH = 200
MAX_BODY_LENGTH = 2000


@dataclass(frozen=True, kw_only=True)
class Review:
    product_id: str
    review_id: str
    customer_id: str
    author_name: str
    rating: int
    title: str
    body: str
    created_at: datetime
    updated_at: datetime
    version: int
    updated_by: Stamp | None = None
    """Who wrote it last through the API (graphql_api.repositories._stamp): the audit trail's actor."""


REVIEWS = Entity(
    Review,
    "Reviews",
    key=("product_id", "review_id"),
    stream="NEW_AND_OLD_IMAGES",  # the audit trail (graphql_api.live.audit)
    id_prefix="rev",
    id_format="time_ordered",
    indexes={"CustomerIndex": ("customer_id", "created_at")},
    # A review stays when its author's customer is deleted (it shows AuthorName): not checked by validate.
    references={"product_id": Reference(PRODUCTS, checked_by="review-product"), "customer_id": Reference(CUSTOMERS)},
    unique=Unique(
        ("product_id", "customer_id"),
        guard_table="ProductReviewers",
        reserved_by="reviewer-guard",
        reserves="reviewer-guard",
        description="one review per customer and product",
    ),
    filterable=("rating",),  # beyond its listings' keys (graphql_api.planner)
)
REVIEWER_GUARD = REVIEWS.guard()
PRODUCT_REVIEWERS = REVIEWER_GUARD.entity
"""The guard table derived from `unique`: an item keyed by ProductId and CustomerId, naming the review."""
OF_PRODUCT = REVIEWS.listing(newest_first=True, pattern="AP9", purpose="Reviews of a product, newest first")
"""AP9: a product's reviews, newest first (a Query on the table's own key)."""
BY_CUSTOMER = REVIEWS.listing(
    "CustomerIndex", newest_first=True, pattern="AP10", purpose="Reviews by a customer, newest first"
)
"""AP10: the reviews a customer wrote, newest first."""


@uses(
    "Read the author's customer (its name), then one transaction: the review and its guard (create-only), the "
    "product's aggregates, the author's review counter, and a ConditionCheck that the customer still exists.",
    GetItem=CUSTOMERS,
    PutItem=(REVIEWS, PRODUCT_REVIEWERS),
    UpdateItem=(PRODUCTS, counters.COUNTERS),
    ConditionCheckItem=CUSTOMERS,
)
async def create(dynamo: Dynamo, customer_id: str, product_id: str, *, rating: int, title: str, body: str) -> Review:
    """The review, its guard and the product's aggregates in one transaction; the customer must exist."""
    customer = await get(dynamo, CUSTOMERS, CUSTOMERS.key(customer_id))
    if customer is None:
        raise NotFound("create your customer first (createCustomer): a review shows its name", field="customerId")
    at = now()
    review = Review(
        product_id=product_id,
        review_id=REVIEWS.new_id(),
        customer_id=customer_id,
        author_name=customer.name,
        rating=rating,
        title=title,
        body=body,
        **created(at),
    )
    return await insert(
        dynamo,
        REVIEWS,
        review,
        claim(
            REVIEWER_GUARD,
            review,
            fails_with=Conflict("you have already reviewed this product", field="productId"),
        ),
        versioned_update(
            PRODUCTS,
            PRODUCTS.key(product_id),
            at=at,
            add_fields={"review_count": 1, "rating_sum": rating},
            fails_with=_product_missing(),
        ),
        condition_check(
            CUSTOMERS,
            CUSTOMERS.key(customer_id),
            fails_with=NotFound("create your customer first (createCustomer)", field="customerId"),
        ),
        counters.add(counters.REVIEWS_BY_CUSTOMER, customer_id, 1),
    )


def _product_missing() -> NotFound:
    return NotFound("product not found", field="productId")


@uses(
    "Read the review, then one transaction deleting it and its guard and taking it out of the product's aggregates "
    "and its author's review counter.",
    GetItem=REVIEWS,
    DeleteItem=(REVIEWS, PRODUCT_REVIEWERS),
    UpdateItem=(PRODUCTS, counters.COUNTERS),
)
async def delete(dynamo: Dynamo, product_id: str, review_id: str, *, author: str | None) -> None:
    """Delete a review and give back its guard and its share of the aggregates; with `author`, only theirs."""
    review = await get(dynamo, REVIEWS, REVIEWS.key(product_id, review_id))
    if review is None or (author is not None and review.customer_id != author):
        raise NotFound("review not found", field="reviewId")  # another customer's reads as missing
    at = now()
    await commit(
        dynamo,
        delete_if(
            REVIEWS,
            REVIEWS.key(product_id, review_id),
            checks=[Check("review_id", "exists")],
            fails_with=NotFound("review not found", field="reviewId"),  # deleted concurrently
        ),
        # Its guard goes with the review.
        release(REVIEWER_GUARD, review, fails_with=changed_concurrently("review")),
        versioned_update(
            PRODUCTS,
            PRODUCTS.key(product_id),
            at=at,
            add_fields={"review_count": -1, "rating_sum": -review.rating},
            fails_with=_product_missing(),
        ),
        counters.add(counters.REVIEWS_BY_CUSTOMER, review.customer_id, -1),
    )
