"""Carts (AP12: the caller's cart): a customer's lines, one item per product, each expiring 30 days after its change.

The composite key (CustomerId, ProductId) makes a cart one Query and a line one key: setting a line is a Put
(it replaces the line), removing it a Delete. DynamoDB's time to live (`ExpiresAt`, epoch seconds) drops a line
30 days after its last change; until it does (within days), a read leaves an expired line out.

At most MAX_LINES lines: the count is read before a new line is written, not held in a transaction, so two
new lines added at the same moment to a cart one short of the limit may both be written (one line over).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from graphql_api.clock import now
from graphql_api.dynamo.client import Dynamo
from graphql_api.entity import Entity, Reference
from graphql_api.errors import BadUserInput, NotFound
from graphql_api.repositories._access import uses
from graphql_api.repositories._writes import commit, condition_check, delete_if, put
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.products import PRODUCTS

MAX_LINES = 50
MAX_QUANTITY = 1000
LIFETIME = timedelta(days=30)


@dataclass(frozen=True, kw_only=True)
class CartItem:
    customer_id: str
    product_id: str
    quantity: int
    added_at: datetime
    expires_at: int
    """Epoch seconds: LIFETIME after the line's last change (DynamoDB's time to live reads it)."""


CARTS = Entity(
    CartItem,
    "CartItems",
    key=("customer_id", "product_id"),
    # A line may outlive its product (it reads product: null): that reference is drawn, not checked.
    references={"customer_id": Reference(CUSTOMERS, checked_by="cart-customer"), "product_id": Reference(PRODUCTS)},
    ttl="expires_at",
)
OF_CUSTOMER = CARTS.listing(pattern="AP12", purpose="The caller's cart")
"""AP12: a customer's cart lines, in product id order (a Query on the table's own key)."""


def expiry(at: datetime) -> int:
    return int((at + LIFETIME).timestamp())


async def lines(dynamo: Dynamo, customer_id: str) -> list[CartItem]:
    """The customer's unexpired lines (one Query: a cart holds at most MAX_LINES, far below a page's 1 MB)."""
    page = await OF_CUSTOMER.page(dynamo, customer_id, first=MAX_LINES + 1, after=None, read_budget=1)
    alive_after = now().timestamp()
    return [line for line, _ in page.entries if line.expires_at > alive_after]


@uses(
    "Read the cart, then set one line: a Put with ConditionChecks that the product and the customer exist, in one "
    "transaction; or, for quantity 0, a Delete of the line.",
    PutItem=CARTS,
    DeleteItem=CARTS,
    ConditionCheckItem=(PRODUCTS, CUSTOMERS),
)
async def set_line(dynamo: Dynamo, customer_id: str, product_id: str, quantity: int) -> list[CartItem]:
    """Set the quantity of a product in the cart (0 removes it); the cart as it now is."""
    current = await lines(dynamo, customer_id)
    existing = next((line for line in current if line.product_id == product_id), None)
    others = [line for line in current if line.product_id != product_id]
    if quantity == 0:
        if existing is not None:
            await commit(dynamo, delete_if(CARTS, CARTS.key_of(existing), fails_with=_gone()))
        return others
    if existing is None and len(current) >= MAX_LINES:
        raise BadUserInput("productId", f"a cart holds at most {MAX_LINES} lines: remove one first")
    at = now()
    line = CartItem(
        customer_id=customer_id,
        product_id=product_id,
        quantity=quantity,
        added_at=existing.added_at if existing else at,
        expires_at=expiry(at),
    )
    await commit(
        dynamo,
        put(CARTS, line),
        condition_check(
            PRODUCTS, PRODUCTS.key(product_id), fails_with=NotFound("product not found", field="productId")
        ),
        condition_check(
            CUSTOMERS,
            CUSTOMERS.key(customer_id),
            fails_with=NotFound("create your customer first (createCustomer)", field="customerId"),
        ),
    )
    return sorted([*others, line], key=lambda each: each.product_id)


def _gone() -> NotFound:
    return NotFound("cart line not found", field="productId")


@uses("Read the cart, then delete its lines in one transaction.", DeleteItem=CARTS)
async def clear(dynamo: Dynamo, customer_id: str) -> None:
    current = await lines(dynamo, customer_id)
    if not current:
        return
    # Unconditional deletes: a line removed meanwhile is simply gone already.
    deletes = [delete_if(CARTS, CARTS.key_of(line), fails_with=_gone()) for line in current]
    await commit(dynamo, *deletes)
