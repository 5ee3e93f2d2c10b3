"""Products (AP6, AP8): the public Product type with its reviews (AP9), its queries, mutations and changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime
from decimal import Decimal
from typing import Annotated

import strawberry

from graphql_api.graphql.access import EVERYONE, STAFF, allow, public
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._inputs import check_version
from graphql_api.graphql.entities._listed import filtered_list, listed
from graphql_api.graphql.entities._live import INITIAL_ARGUMENT, Initial, watch
from graphql_api.graphql.entities._node import Node
from graphql_api.graphql.entities._related import load_one
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.review import Review
from graphql_api.graphql.fields import mutation, query, subscription
from graphql_api.graphql.price import costs
from graphql_api.money import CENT
from graphql_api.repositories import products, reviews
from graphql_api.repositories.counters import PRODUCTS_BY_CATEGORY
from graphql_api.repositories.products import BY_CATEGORY, PRODUCTS
from graphql_api.validation import (
    MAX_CATEGORY_LENGTH,
    MAX_DESCRIPTION_LENGTH,
    MAX_STOCK,
    check_currency,
    check_price,
    check_product_ids,
    check_range,
    check_text,
)


@public
@strawberry.type
class Product(DomainType, Node):
    product_id: strawberry.ID
    name: str
    description: str | None
    category: str
    price: Decimal
    currency: str
    stock: int
    review_count: int = strawberry.field(description="Kept in each review's transaction, never counted.")
    created_at: datetime
    updated_at: datetime
    version: int
    _domain: strawberry.Private[products.Product]

    @strawberry.field(description="The mean rating, to two places; null before the first review.")
    def average_rating(self) -> Decimal | None:
        if not self._domain.review_count:
            return None
        return (Decimal(self._domain.rating_sum) / self._domain.review_count).quantize(CENT)

    reviews = listed(
        reviews.OF_PRODUCT,
        Review,
        parent_key="product_id",
        total_count="review_count",
        description="AP9: newest first.",
    )


@strawberry.input
class CreateProductInput:
    name: str
    category: str
    price: Decimal
    currency: str = strawberry.field(description="ISO 4217, e.g. EUR")
    stock: int
    description: str | None = None


@strawberry.input
class UpdateProductInput:
    product_id: strawberry.ID
    expected_version: int
    name: str | None = None
    description: str | None = strawberry.field(default=strawberry.UNSET, description="null clears it")
    category: str | None = None
    price: Decimal | None = None
    currency: str | None = None
    stock: int | None = None


@strawberry.type
class ProductQuery:
    @query(EVERYONE, costs("load"), "AP6: a product by id; null if there is none.")
    async def product(self, info: Info, product_id: strawberry.ID) -> Product | None:
        return await load_one(info, PRODUCTS, PRODUCTS.check_id(product_id, "productId"), Product)

    @query(EVERYONE, costs("load"), "AP6: products in the order asked, null where missing; at most 100 ids.")
    async def products(self, info: Info, product_ids: list[strawberry.ID]) -> list[Product | None]:
        found = await info.context.loaders.many(PRODUCTS, check_product_ids(product_ids))
        return [Product.from_domain(product) if product else None for product in found]

    products_by_category = listed(
        BY_CATEGORY,
        Product,
        partition=("category", str),
        check_partition=check_text,
        total_count=PRODUCTS_BY_CATEGORY,
        description="AP8: the products of a category, by name.",
        extensions=allow(EVERYONE),
    )

    list_products = filtered_list(PRODUCTS, Product, EVERYONE)


@strawberry.type
class ProductMutation:
    @mutation(STAFF, costs("write", 1))
    async def create_product(self, info: Info, input: CreateProductInput) -> Product:
        product = await products.create(
            info.context.dynamo,
            name=check_text(input.name, "name"),
            description=None
            if input.description is None
            else check_text(input.description, "description", MAX_DESCRIPTION_LENGTH, multiline=True),
            category=check_text(input.category, "category", MAX_CATEGORY_LENGTH),
            price=check_price(input.price),
            currency=check_currency(input.currency),
            stock=check_range(input.stock, "stock", 0, MAX_STOCK),
        )
        return Product.from_domain(product)

    @mutation(STAFF, costs("write", 3), "Omitted (or null) fields stay as they are; description: null clears it.")
    async def update_product(self, info: Info, input: UpdateProductInput) -> Product:
        description = input.description
        changes = products.ProductChanges(
            name=None if input.name is None else check_text(input.name, "name"),
            description=None
            if description is None or description is strawberry.UNSET
            else check_text(description, "description", MAX_DESCRIPTION_LENGTH, multiline=True),
            clear_description=description is None,
            category=None if input.category is None else check_text(input.category, "category", MAX_CATEGORY_LENGTH),
            price=None if input.price is None else check_price(input.price),
            currency=None if input.currency is None else check_currency(input.currency),
            stock=None if input.stock is None else check_range(input.stock, "stock", 0, MAX_STOCK),
        )
        product = await products.update(
            info.context.dynamo,
            PRODUCTS.check_id(input.product_id, "productId"),
            check_version(input.expected_version),
            changes,
        )
        return Product.from_domain(product)


@strawberry.type
class ProductSubscription:
    @subscription(EVERYONE, costs("plain"), "Anyone: changes of these products (at most 100 ids).")
    async def product_changed(
        self, info: Info, product_ids: list[strawberry.ID], initial: Annotated[bool, INITIAL_ARGUMENT] = False
    ) -> AsyncGenerator[Product, None]:
        asked = list(dict.fromkeys(check_product_ids(product_ids)))
        wanted = set(asked)

        def matches(new: products.Product, old: products.Product | None) -> bool:
            return new.product_id in wanted

        async def now() -> list[products.Product]:  # in the order asked; a missing product has no state
            return [found for found in await info.context.loaders.many(PRODUCTS, asked) if found]

        state = Initial(now, lambda product: product.version) if initial else None
        async for product, _ in watch(info, PRODUCTS, matches, state):
            yield Product.from_domain(product)  # only the public fields of Product exist


ROOTS = Roots(
    products.PRODUCTS,
    query=ProductQuery,
    mutation=ProductMutation,
    subscription=ProductSubscription,
    samples={
        "AP8": "query($k: String!) { productsByCategory(category: $k, first: 5) { edges { node { name } } } }",
    },
)
