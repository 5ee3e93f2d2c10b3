"""Demo data: a reproducible e-commerce data set, written through the repositories' transforms.

`demo_dataset()` gives about 50 customers, 200 products in 8 categories, 500 orders over every
status and the past year, 300 reviews and a cart for every fifth customer. The first customer, Ada
(ada@example.com), has 25 orders of 3 lines each (the shape of the canonical frontend query), a few
reviews and a cart. Given `ada_subject` (the local default's user pool), Ada is the customer bound to
that identity: her id is derived from it, as for a customer who signed up with a token, and everything
else in the data set stays the same.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from graphql_api.auth.identity import customer_id_for
from graphql_api.clock import now
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.recount import as_counters, recount
from graphql_api.repositories import audit, carts, order_items
from graphql_api.repositories._writes import created
from graphql_api.repositories.carts import CARTS, CartItem
from graphql_api.repositories.counters import COUNTERS
from graphql_api.repositories.customers import CUSTOMERS, Address, Customer
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem
from graphql_api.repositories.orders import ORDERS, Order, OrderStatus
from graphql_api.repositories.products import PRODUCTS, Product
from graphql_api.repositories.reviews import REVIEWS, Review

CATEGORIES = ("books", "garden", "kitchen", "music", "office", "outdoor", "toys", "tools")
DEMO_EMAIL = "ada@example.com"
_FIRST_NAMES = ("Ada", "Grace", "Alan", "Edsger", "Barbara", "Donald", "Margaret", "Ken", "Frances", "John")
_LAST_NAMES = ("Lovelace", "Hopper", "Turing", "Dijkstra", "Liskov", "Knuth", "Hamilton", "Thompson", "Allen")
_ADJECTIVES = ("Compact", "Deluxe", "Classic", "Sturdy", "Bright", "Quiet", "Swift", "Handy", "Modern", "Rustic")
_NOUNS = ("Lamp", "Kettle", "Notebook", "Spade", "Guitar", "Tent", "Puzzle", "Wrench", "Chair", "Basket")
_VERDICTS = ("Great", "Decent", "Disappointing", "Solid", "Lovely", "Flimsy")
_CITIES = (("Berlin", "DE"), ("Paris", "FR"), ("London", "GB"), ("Madrid", "ES"), ("Boston", "US"))


@dataclass
class Dataset:
    customers: list[Customer] = field(default_factory=list)
    products: list[Product] = field(default_factory=list)
    orders: list[Order] = field(default_factory=list)
    order_items: list[OrderItem] = field(default_factory=list)
    reviews: list[Review] = field(default_factory=list)
    carts: list[CartItem] = field(default_factory=list)

    def customer(self, customer_id: str) -> Customer:
        return next(customer for customer in self.customers if customer.customer_id == customer_id)


def _id(rng: random.Random, entity: Entity[Any]) -> str:
    """A new id of `entity` in its declared shape, from the seeded generator (the same data every run)."""
    return f"{entity.id_prefix}_{rng.getrandbits(128):032x}"


def make_product(rng: random.Random, category: str, name: str, at: datetime) -> Product:
    return Product(
        product_id=_id(rng, PRODUCTS),
        name=name,
        description=f"A {name.lower()} for everyday use.",
        category=category,
        price=Decimal(rng.randint(199, 19999)) / 100,
        currency="EUR",
        stock=rng.randint(50, 500),
        **created(at),
    )


def make_customer(rng: random.Random, name: str, email: str, at: datetime) -> Customer:
    city, country = rng.choice(_CITIES)
    address = Address(
        label="home",
        street=f"{rng.randint(1, 200)} Main Street",
        city=city,
        postal_code=f"{rng.randint(10000, 99999)}",
        country=country,
    )
    return Customer(
        customer_id=_id(rng, CUSTOMERS),
        email=email,
        name=name,
        addresses=(address,),
        order_count=0,
        **created(at),
    )


def add_order(
    data: Dataset,
    rng: random.Random,
    customer: Customer,
    lines: list[tuple[Product, int]],
    status: OrderStatus,
    placed: datetime,
) -> Order:
    """An order with its lines, priced from the products; the customer's OrderCount follows."""
    order_id = _id(rng, ORDERS)
    total = Decimal(0)
    for number, (product, quantity) in enumerate(lines, start=1):
        line_total = product.price * quantity
        total += line_total
        data.order_items.append(
            OrderItem(
                order_id=order_id,
                item_id=order_items.item_id(number),
                product_id=product.product_id,
                quantity=quantity,
                unit_price=product.price,
                line_total=line_total,
            )
        )
    order = Order(
        order_id=order_id,
        customer_id=customer.customer_id,
        status=status,
        order_date=placed,
        total=total,
        currency="EUR",
        item_count=len(lines),
        idempotency_key=None,
        **created(placed),
    )
    data.orders.append(order)
    current = data.customer(customer.customer_id)
    data.customers[data.customers.index(current)] = replace(current, order_count=current.order_count + 1)
    return order


def demo_dataset(
    seed: int = 7,
    customer_count: int = 50,
    product_count: int = 200,
    order_count: int = 500,
    review_count: int = 300,
    ada_subject: str | None = None,
) -> Dataset:
    rng = random.Random(seed)  # noqa: S311 (reproducible demo data, not a secret)
    start = now().replace(microsecond=0) - timedelta(days=365)
    data = Dataset()
    for number in range(product_count):
        category = CATEGORIES[number % len(CATEGORIES)]
        name = f"{rng.choice(_ADJECTIVES)} {rng.choice(_NOUNS)} {number:03d}"
        data.products.append(make_product(rng, category, name, start))
    ada = make_customer(rng, "Ada Lovelace", DEMO_EMAIL, start)
    if ada_subject is not None:
        ada = replace(ada, customer_id=customer_id_for(ada_subject), subject=ada_subject)
    data.customers.append(ada)
    for number in range(1, customer_count):
        name = f"{rng.choice(_FIRST_NAMES)} {rng.choice(_LAST_NAMES)}"
        data.customers.append(make_customer(rng, name, f"{name.lower().replace(' ', '.')}{number}@example.com", start))

    statuses = list(OrderStatus)
    for number in range(order_count):
        demo = number < 25
        customer = data.customers[0] if demo else data.customers[rng.randrange(1, len(data.customers))]
        picked = rng.sample(data.products, 3 if demo else rng.randint(1, 5))
        placed = start + timedelta(seconds=rng.randrange(365 * 24 * 3600))
        add_order(
            data, rng, customer, [(product, rng.randint(1, 4)) for product in picked], rng.choice(statuses), placed
        )
    # Reviews: Ada's first (five of them), then other customers', each pair of customer and product once.
    reviewed: set[tuple[str, str]] = set()
    for number in range(review_count):
        customer = data.customers[0] if number < 5 else rng.choice(data.customers)
        product = rng.choice(data.products)
        if (customer.customer_id, product.product_id) not in reviewed:
            reviewed.add((customer.customer_id, product.product_id))
            add_review(data, rng, customer, product, start + timedelta(seconds=rng.randrange(365 * 24 * 3600)))
    # Carts last (the data above stays as it was): every fifth customer, Ada first, changed in the past days.
    for customer in data.customers[::5]:
        for product in rng.sample(data.products, min(len(data.products), rng.randint(1, 4))):
            added = now().replace(microsecond=0) - timedelta(hours=rng.randrange(1, 24 * 7))
            data.carts.append(
                CartItem(
                    customer_id=customer.customer_id,
                    product_id=product.product_id,
                    quantity=rng.randint(1, 3),
                    added_at=added,
                    expires_at=carts.expiry(added),
                )
            )
    return data


def add_review(data: Dataset, rng: random.Random, customer: Customer, product: Product, at: datetime) -> Review:
    """A review by `customer` (once per product); the product's ReviewCount and RatingSum follow."""
    review = Review(
        product_id=product.product_id,
        review_id=f"{REVIEWS.id_prefix}_{int(at.timestamp() * 1000):012x}{rng.getrandbits(80):020x}",
        customer_id=customer.customer_id,
        author_name=customer.name,
        rating=rng.randint(1, 5),
        title=f"{rng.choice(_VERDICTS)} {product.name.split()[1].lower()}",
        body="Bought it, used it, and this is what I think of it.",
        **created(at),
    )
    data.reviews.append(review)
    current = next(p for p in data.products if p.product_id == product.product_id)
    data.products[data.products.index(current)] = replace(
        current, review_count=current.review_count + 1, rating_sum=current.rating_sum + review.rating
    )
    return review


def _contents(data: Dataset) -> list[tuple[Entity[Any], list[Any]]]:
    """Each entity's items, each followed by the guards its declared unique fields need."""
    declared: list[tuple[Entity[Any], list[Any]]] = [
        (CUSTOMERS, data.customers),
        (PRODUCTS, data.products),
        (ORDERS, data.orders),
        (ORDER_ITEMS, data.order_items),
        (REVIEWS, data.reviews),
        (CARTS, data.carts),
        # Consistent with the rest: a recount of it, in each counter's shard 0 (into empty tables).
        (COUNTERS, as_counters(recount(data.products, data.orders, data.reviews))),
        # Each customer's creation in the audit trail, as its stream would have it (`auditLog`, check-patterns' AP14);
        # kept ten years (AUDIT_RETENTION_DAYS' most): the demo customers were made up to a year back.
        (audit.AUDIT_LOG, [audit.created(CUSTOMERS, each, number, 3650) for number, each in enumerate(data.customers)]),
    ]
    contents = []
    for entity, values in declared:
        contents.append((entity, values))
        if entity.unique is not None:
            contents.append((entity.unique.entity, [entity.unique.of(value) for value in values]))
    return contents


async def write_dataset(dynamo: Dynamo, data: Dataset, progress: Progress = quiet) -> dict[str, int]:
    """Write a data set (overwriting items with the same keys); returns the items written per table."""
    written = {}
    for entity, values in _contents(data):
        task = progress.task(entity.table.name, len(values))
        try:
            written[entity.table.name] = await put_items(
                dynamo, entity.table, map(entity.to_item, values), on_written=task.advance
            )
        finally:
            task.close()
    return written
