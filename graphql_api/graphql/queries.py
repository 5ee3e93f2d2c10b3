"""The Query root: entry points of the access patterns AP1, AP2, AP4, AP6, AP7, AP8 and AP11, with their rules."""

from __future__ import annotations

from datetime import datetime

import strawberry

from graphql_api.entity import Range
from graphql_api.graphql.access import EVERYONE, SIGNED_IN, STAFF, allow
from graphql_api.graphql.context import Info
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, paginate
from graphql_api.graphql.types.customer import Customer
from graphql_api.graphql.types.order import Order, prefetch_lines
from graphql_api.graphql.types.product import Product
from graphql_api.repositories import customers, orders, products
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS, OrderStatus
from graphql_api.repositories.products import PRODUCTS
from graphql_api.validation import check_email, check_id, check_product_ids, check_text


@strawberry.type
class Query:
    @strawberry.field(
        description="AP11: the caller's own customer; null before sign-up (createCustomer).",
        extensions=allow(SIGNED_IN),
    )
    async def me(self, info: Info) -> Customer | None:
        customer_id = info.context.identity.customer_id
        if customer_id is None:
            return None  # AUTH_MODE=none: no sign-in, no customer of one's own
        customer = await info.context.loaders.one(CUSTOMERS, customer_id)
        return Customer.from_domain(customer) if customer else None

    @strawberry.field(
        description="AP1: a customer by id; null if there is none (or it is another customer's).",
        extensions=allow(SIGNED_IN),
    )
    async def customer(self, info: Info, customer_id: strawberry.ID) -> Customer | None:
        wanted = check_id("cus", customer_id, "customerId")
        if not info.context.identity.may_see_customer(wanted):
            return None  # decided from the token: another customer's id reads as missing, at no cost
        customer = await info.context.loaders.one(CUSTOMERS, wanted)
        return Customer.from_domain(customer) if customer else None

    @strawberry.field(
        description="AP2: a customer by email, case-insensitively; null if there is none (or it is another's).",
        extensions=allow(SIGNED_IN),
    )
    async def customer_by_email(self, info: Info, email: str) -> Customer | None:
        customer = await customers.find_by_email(info.context.dynamo, check_email(email))
        if customer is None or not info.context.identity.may_see_customer(customer.customer_id):
            return None
        return Customer.from_domain(customer)

    @strawberry.field(
        description="AP4: an order by id; null if there is none (or it is another customer's).",
        extensions=allow(SIGNED_IN),
    )
    async def order(self, info: Info, order_id: strawberry.ID) -> Order | None:
        order = await info.context.loaders.one(ORDERS, check_id("ord", order_id, "orderId"))
        if order is None or not info.context.identity.may_see_customer(order.customer_id):
            return None
        return Order.from_domain(order)

    @strawberry.field(description="AP6: a product by id; null if there is none.", extensions=allow(EVERYONE))
    async def product(self, info: Info, product_id: strawberry.ID) -> Product | None:
        product = await info.context.loaders.one(PRODUCTS, check_id("prd", product_id, "productId"))
        return Product.from_domain(product) if product else None

    @strawberry.field(
        description="AP6: products in the order asked, null where missing; at most 100 ids.", extensions=allow(EVERYONE)
    )
    async def products(self, info: Info, product_ids: list[strawberry.ID]) -> list[Product | None]:
        found = await info.context.loaders.many(PRODUCTS, check_product_ids(product_ids))
        return [Product.from_domain(product) if product else None for product in found]

    @strawberry.field(description="AP8: the products of a category, by name.", extensions=allow(EVERYONE))
    async def products_by_category(
        self, info: Info, category: str, first: int | None = DEFAULT_FIRST, after: str | None = None
    ) -> Connection[Product]:
        check_text(category, "category")
        return await paginate(info, products.BY_CATEGORY, category, Product.from_domain, first=first, after=after)

    @strawberry.field(
        description="AP7: orders in a status, newest first; placedAfter is inclusive, placedBefore exclusive.",
        extensions=allow(STAFF),
    )
    async def orders_by_status(
        self,
        info: Info,
        status: OrderStatus,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        placed_after: datetime | None = None,
        placed_before: datetime | None = None,
    ) -> Connection[Order]:
        page = await paginate(
            info,
            orders.BY_STATUS,
            status,
            Order.from_domain,
            first=first,
            after=after,
            shape=(placed_after, placed_before),
            within=Range(placed_after, placed_before),
        )
        return await prefetch_lines(info, page)
