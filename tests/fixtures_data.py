"""The data set the integration tests read: the demo data plus customers shaped for specific tests."""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import timedelta

from graphql_api.auth.identity import customer_id_for, subject_of
from graphql_api.clock import now
from graphql_api.ops.seed import Dataset, add_order, demo_dataset, make_customer, make_product
from graphql_api.repositories.customers import Customer
from graphql_api.repositories.orders import OrderStatus
from tests.issuer import shared_issuer

CANONICAL_SUB = "canon-user"
SPARSE_MATCHES = 3
SPARSE_ORDERS = 150


@dataclass
class TestData:
    dataset: Dataset
    canonical: Customer
    """20 orders of 3 lines each over 60 distinct products: the canonical query's shape."""
    sparse: Customer
    """150 orders of which only 3 are CANCELLED, far apart: a filtered listing with sparse matches."""
    loner: Customer
    """A customer with no orders."""


def build_test_data() -> TestData:
    rng = random.Random(2026)
    data = demo_dataset(seed=11, customer_count=20, product_count=80, order_count=120)
    start = now().replace(microsecond=0) - timedelta(days=100)

    # The canonical customer is bound to an identity of the tests' issuer, so `me` reaches it.
    subject = subject_of(shared_issuer().url, CANONICAL_SUB)
    canonical = replace(
        make_customer(rng, "Canon Ical", "canon@example.com", start),
        customer_id=customer_id_for(subject),
        subject=subject,
    )
    sparse = make_customer(rng, "Sparse Matches", "sparse@example.com", start)
    loner = make_customer(rng, "Lone Wolf", "lone.wolf@example.com", start)
    data.customers += [canonical, sparse, loner]

    own_products = [make_product(rng, "canonical", f"Canon Product {n:02d}", start) for n in range(60)]
    data.products += own_products
    for number in range(20):
        lines = [(own_products[number * 3 + k], k + 1) for k in range(3)]
        add_order(
            data, rng, data.customer(canonical.customer_id), lines, OrderStatus.PAID, start + timedelta(hours=number)
        )

    for number in range(SPARSE_ORDERS):
        cancelled = number in (5, 70, 140)
        status = OrderStatus.CANCELLED if cancelled else OrderStatus.DELIVERED
        add_order(
            data,
            rng,
            data.customer(sparse.customer_id),
            [(own_products[0], 1)],
            status,
            start + timedelta(minutes=number),
        )

    return TestData(
        dataset=data,
        canonical=data.customer(canonical.customer_id),
        sparse=data.customer(sparse.customer_id),
        loner=data.customer(loner.customer_id),
    )
