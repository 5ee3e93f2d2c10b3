"""Carts (AP12): the Cart of a customer (Customer.cart, added to Customer here) and the caller's own cart's
mutations; a customer's cart goes when the customer is deleted.

Only the customer themselves reads and changes a cart (Customer.cart and the mutations allow customers only; a
customer reaches no other customer's Customer). Prices are the products' current ones: a line whose product is
gone shows `product: null` and `lineTotal: null`, and the subtotal is over the others.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import strawberry

from graphql_api.errors import NotFound
from graphql_api.graphql.access import CUSTOMERS_ONLY, allow, follows_parent
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._related import related_object
from graphql_api.graphql.entities._roots import Roots
from graphql_api.graphql.entities.customer import Customer
from graphql_api.graphql.entities.product import Product
from graphql_api.graphql.fields import mutation
from graphql_api.graphql.price import costs
from graphql_api.repositories import carts
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.validation import check_range


@follows_parent
@strawberry.type
class CartLine(DomainType):
    product_id: strawberry.ID
    quantity: int
    added_at: datetime = strawberry.field(description="When the product was first put in the cart.")

    product = related_object(PRODUCTS, "product_id", Product, description="Null when the product no longer exists.")

    @strawberry.field(
        metadata=costs("load"),
        description="The quantity times the product's current price; null when the product no longer exists.",
    )
    async def line_total(self, info: Info) -> Decimal | None:
        product = await info.context.loaders.one(PRODUCTS, self.product_id)
        return None if product is None else product.price * self.quantity


@follows_parent
@strawberry.type
class Cart:
    lines: list[CartLine] = strawberry.field(
        description="In product id order.", metadata=costs("plain", carts.MAX_LINES)
    )
    item_count: int = strawberry.field(description="The number of lines (as Order.itemCount).")

    @strawberry.field(
        description="The sum of the lines' totals, over the products that still exist.",
        metadata=costs("load", carts.MAX_LINES),
    )
    async def subtotal(self, info: Info) -> Decimal:
        found = await info.context.loaders.many(PRODUCTS, [line.product_id for line in self.lines])
        totals = [product.price * line.quantity for line, product in zip(self.lines, found, strict=True) if product]
        return sum(totals, Decimal("0.00"))


def cart_of(lines: list[carts.CartItem]) -> Cart:
    return Cart(lines=[CartLine.from_domain(line) for line in lines], item_count=len(lines))


async def customer_cart(root: Customer, info: Info) -> Cart:
    return cart_of(await carts.lines(info.context.dynamo, root.customer_id))


@strawberry.type
class CustomerCart:
    """Added to Customer (ROOTS.adds)."""

    cart: Cart = strawberry.field(
        resolver=customer_cart,
        metadata=costs("query", carts.MAX_LINES),
        description="AP12: the customer's cart; only the customer themselves reads it.",
        extensions=allow(CUSTOMERS_ONLY),
    )


def _own_customer(info: Info) -> str:
    customer_id = info.context.identity.customer_id
    if customer_id is None:
        raise NotFound("create your customer first (createCustomer)", field="customerId")
    return customer_id


@strawberry.type
class CartMutation:
    @mutation(
        CUSTOMERS_ONLY,
        costs("write", 2),
        (
            f"Set the quantity of a product in the caller's cart: 0 removes its line, else 1 to "
            f"{carts.MAX_QUANTITY}; at most {carts.MAX_LINES} lines. The product must exist (NOT_FOUND)."
        ),
    )
    async def set_cart_line(self, info: Info, product_id: strawberry.ID, quantity: int) -> Cart:
        wanted = check_range(quantity, "quantity", 0, carts.MAX_QUANTITY)
        product = PRODUCTS.check_id(product_id, "productId")
        lines = await carts.set_line(info.context.dynamo, _own_customer(info), product, wanted)
        return cart_of(lines)

    @mutation(CUSTOMERS_ONLY, costs("write", 2), "Empty the caller's cart.")
    async def clear_cart(self, info: Info) -> bool:
        await carts.clear(info.context.dynamo, _own_customer(info))
        return True


ROOTS = Roots(
    carts.CARTS,
    mutation=CartMutation,
    adds={Customer: CustomerCart},
    deleted_with={CUSTOMERS: carts.clear},
    samples={"AP12": "{ me { cart { itemCount lines { productId quantity } } } }"},
)
