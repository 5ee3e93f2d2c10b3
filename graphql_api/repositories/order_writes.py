"""Placing, advancing and cancelling orders: each one atomic across Orders, OrderItems, Products and Customers.

placeOrder is one TransactWriteItems: the order (create-only), every line, a conditional stock
decrement per product (`Stock >= quantity AND Price = the price charged`) and the customer's
OrderCount. Idempotency: the OrderId of a placement with an idempotency key is derived from the
customer and the key, so a replay, however late or concurrent, finds the order and writes nothing.
Placed from the cart, the same transaction also deletes each cart line as it was read (its quantity
unchanged): the cart is emptied exactly once, by the order that took its lines.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal

from graphql_api.clock import now
from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Action, changed_concurrently
from graphql_api.errors import ApiError, BadUserInput, Conflict, InvalidTransition, NotFound, OutOfStock
from graphql_api.repositories import counters, order_items
from graphql_api.repositories._access import uses
from graphql_api.repositories._writes import (
    Check,
    commit,
    created,
    delete_if,
    get,
    put_new,
    version_error,
    versioned_update,
)
from graphql_api.repositories.carts import CARTS, CartItem
from graphql_api.repositories.counters import COUNTERS, ORDERS_BY_STATUS
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS, OrderItem
from graphql_api.repositories.orders import ORDERS, Order, OrderStatus
from graphql_api.repositories.products import PRODUCTS, Product

MAX_PLACEMENT_ATTEMPTS = 5

NEXT_STATUSES: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.PAID, OrderStatus.CANCELLED}),
    OrderStatus.PAID: frozenset({OrderStatus.SHIPPED, OrderStatus.CANCELLED}),
    OrderStatus.SHIPPED: frozenset({OrderStatus.DELIVERED}),
    OrderStatus.DELIVERED: frozenset(),
    OrderStatus.CANCELLED: frozenset(),
}


@dataclass(frozen=True)
class Placement:
    order: Order
    lines: list[OrderItem] | None
    """The lines written, or None for a replay (they were written before and are not read here)."""


@dataclass(frozen=True)
class OrderLine:
    product_id: str
    quantity: int


def order_id_for(customer_id: str, idempotency_key: str) -> str:
    """The OrderId a placement with this idempotency key gets: the same for every replay."""
    digest = hashlib.sha256(f"{customer_id}\x00{idempotency_key}".encode()).hexdigest()
    return f"{ORDERS.id_prefix}_{digest[:32]}"


def _fingerprint(lines: list[OrderLine]) -> str:
    return hashlib.sha256(json.dumps([[line.product_id, line.quantity] for line in lines]).encode()).hexdigest()


class _PlaceAgain(Exception):
    """A failed condition the next round settles: the order exists (a concurrent replay), or a price moved."""


def _replay(existing: Order, fingerprint: str) -> Order:
    if existing.request_hash != fingerprint:
        raise Conflict("idempotencyKey was already used for a different order", field="idempotencyKey")
    return existing


@uses(
    "One BatchGetItem of the customer, the products and (with an idempotency key) the order a replay would find; "
    "one transaction putting the order and its lines and updating every product's stock and the customer's "
    "OrderCount and a shard of the PENDING counter (placed from the cart, deleting its lines as read); after a "
    "failed product condition, the product again by key.",
    BatchGetItem=(CUSTOMERS, PRODUCTS, ORDERS),
    PutItem=(ORDERS, ORDER_ITEMS),
    UpdateItem=(PRODUCTS, CUSTOMERS, COUNTERS),
    DeleteItem=CARTS,
    GetItem=PRODUCTS,
)
async def place_order(
    dynamo: Dynamo,
    customer_id: str,
    lines: list[OrderLine],
    idempotency_key: str | None,
    *,
    cart: Sequence[CartItem] = (),
    lines_field: str = "items",
) -> Placement:
    """Place the order; with `cart` (the lines read from it), empty the cart in the same transaction.

    `lines_field` names the lines in errors (`items[2].productId`; `fromCart[2].productId` from the cart).
    """
    order_id = order_id_for(customer_id, idempotency_key) if idempotency_key else ORDERS.new_id()
    fingerprint = _fingerprint(lines)
    for _ in range(MAX_PLACEMENT_ATTEMPTS):
        # One round trip: the customer, the products and, with a key, the order a replay would find.
        keyed_order = [(ORDERS.table, ORDERS.key(order_id))] if idempotency_key else []
        customer_item, *product_items = await batch_get(
            dynamo,
            [(CUSTOMERS.table, CUSTOMERS.key(customer_id))]
            + [(PRODUCTS.table, PRODUCTS.key(line.product_id)) for line in lines]
            + keyed_order,
        )
        if keyed_order and (existing := product_items.pop()):
            return Placement(_replay(ORDERS.from_item(existing), fingerprint), lines=None)
        if customer_item is None:
            raise NotFound("customer not found", field="customerId")
        stocked = [
            _in_stock(PRODUCTS.from_item(item) if item else None, line, f"{lines_field}[{index}]")
            for index, (item, line) in enumerate(zip(product_items, lines, strict=True))
        ]
        order, items = _price(order_id, customer_id, lines, stocked, idempotency_key, fingerprint)
        placing = (
            # Taken: a concurrent replay placed it; the next round finds it.
            put_new(ORDERS, order, fails_with=_PlaceAgain()),
            *(put_new(ORDER_ITEMS, item, fails_with=_PlaceAgain()) for item in items),
            *(
                versioned_update(
                    PRODUCTS,
                    PRODUCTS.key(product.product_id),
                    at=order.created_at,
                    add_fields={"stock": -line.quantity},
                    checks=[Check("stock", ">=", line.quantity), Check("price", "=", product.price)],
                    fails_with=_unavailable(line, f"{lines_field}[{index}]"),
                )
                for index, (product, line) in enumerate(zip(stocked, lines, strict=True))
            ),
            *(
                delete_if(
                    CARTS,
                    CARTS.key_of(line),
                    checks=[Check("quantity", "=", line.quantity)],
                    fails_with=_CART_CHANGED,
                )
                for line in cart
            ),
            versioned_update(
                CUSTOMERS,
                CUSTOMERS.key(customer_id),
                at=order.created_at,
                add_fields={"order_count": 1},
                fails_with=NotFound("customer not found", field="customerId"),
            ),
            counters.add(ORDERS_BY_STATUS, order.status.value, 1, order.total),
        )
        try:
            await commit(dynamo, *placing)
            return Placement(order, items)
        except _PlaceAgain:
            continue
    raise changed_concurrently("the products")


_CART_CHANGED = Conflict("the cart changed while the order was placed (or another order took it): read it again")


@uses("The order a placement with this idempotency key made, by key.", GetItem=ORDERS)
async def placed_with_key(dynamo: Dynamo, customer_id: str, idempotency_key: str) -> Order | None:
    """The order placed for this customer with this idempotency key, if any (a replay after the cart emptied)."""
    return await get(dynamo, ORDERS, ORDERS.key(order_id_for(customer_id, idempotency_key)))


def _shortage(product: Product | None, line: OrderLine, at: str) -> ApiError | None:
    """NOT_FOUND or OUT_OF_STOCK (naming the product and what is left), unless the line can be had."""
    if product is None:
        return NotFound(f"product {line.product_id} not found", field=f"{at}.productId")
    if product.stock < line.quantity:
        return OutOfStock(
            f"product {line.product_id} has {product.stock} in stock, {line.quantity} asked",
            field=f"{at}.quantity",
            productId=line.product_id,
            available=product.stock,
        )
    return None


def _in_stock(product: Product | None, line: OrderLine, at: str) -> Product:
    shortage = _shortage(product, line, at)
    if shortage is not None or product is None:
        raise shortage or _PlaceAgain()
    return product


def _unavailable(line: OrderLine, at: str) -> Callable[[Product | None], Exception]:
    """A line's failed stock decrement: gone or short now; else its price moved, and the next round prices again."""
    return lambda latest: _shortage(latest, line, at) or _PlaceAgain()


def _price(
    order_id: str,
    customer_id: str,
    lines: list[OrderLine],
    stocked: list[Product],
    key: str | None,
    fingerprint: str,
) -> tuple[Order, list[OrderItem]]:
    """The order and its lines at the products' current prices, exactly (Decimal)."""
    currencies = {product.currency for product in stocked}
    if len(currencies) > 1:
        raise BadUserInput(
            "items", f"products in different currencies ({', '.join(sorted(currencies))}) cannot share an order"
        )
    at = now()
    items = [
        OrderItem(
            order_id=order_id,
            item_id=order_items.item_id(number),
            product_id=product.product_id,
            quantity=line.quantity,
            unit_price=product.price,
            line_total=product.price * line.quantity,
        )
        for number, (product, line) in enumerate(zip(stocked, lines, strict=True), start=1)
    ]
    order = Order(
        order_id=order_id,
        customer_id=customer_id,
        status=OrderStatus.PENDING,
        order_date=at,
        total=sum((item.line_total for item in items), Decimal(0)),
        currency=currencies.pop(),
        item_count=len(items),
        idempotency_key=key,
        request_hash=fingerprint,
        **created(at),
    )
    return order, items


async def _movable(
    dynamo: Dynamo, order_id: str, status: OrderStatus, expected_version: int, owner: str | None = None
) -> Order:
    """The order, if it can move to `status` at `expected_version` (else `_refusal`); with `owner`, another
    customer's order reads as missing (NOT_FOUND)."""
    order = await get(dynamo, ORDERS, ORDERS.key(order_id))
    if order is not None and owner is not None and order.customer_id != owner:
        order = None  # checked before anything else, which would reveal that the order exists
    refusal = _refusal(order, status, expected_version)
    if refusal is not None or order is None:  # a missing order is always refused (NOT_FOUND)
        raise refusal or NotFound("order not found")
    return order


def _refusal(order: Order | None, status: OrderStatus, expected_version: int) -> ApiError | None:
    """Why `order` cannot move to `status` at `expected_version`, the same before the write and after its failed
    condition: a move its status forbids first (reloading the version would not make it possible), then
    NOT_FOUND or VERSION_MISMATCH."""
    moved = order and _transition_error(order, status)
    return moved or version_error(order, expected_version, "order")


def _transition_error(order: Order, status: OrderStatus) -> InvalidTransition | None:
    if status in NEXT_STATUSES[order.status]:
        return None
    return InvalidTransition(
        f"an order cannot go from {order.status.value} to {status.value}", currentStatus=order.status.value
    )


@uses(
    "Read the order at its version, then one transaction: a versioned update of its status and the status "
    "counters' shards; CANCELLED cancels it as cancel_order does.",
    GetItem=ORDERS,
    UpdateItem=(ORDERS, PRODUCTS, COUNTERS),
    BatchGetItem=ORDER_ITEMS,
)
async def change_status(dynamo: Dynamo, order_id: str, status: OrderStatus, expected_version: int) -> Order:
    """Move an order along PENDING -> PAID -> SHIPPED -> DELIVERED; CANCELLED restores stock."""
    order = await _movable(dynamo, order_id, status, expected_version)
    if status is OrderStatus.CANCELLED:
        return await _cancel(dynamo, order)
    at = now()
    await commit(dynamo, _status_update(order, status, at), *_recounted(order, status))
    return replace(order, status=status, updated_at=at, version=order.version + 1)


@uses(
    "Read the order at its version and its lines (BatchGetItem), then one transaction updating the order, "
    "giving each product its stock back and moving the order between the status counters.",
    GetItem=ORDERS,
    BatchGetItem=ORDER_ITEMS,
    UpdateItem=(ORDERS, PRODUCTS, COUNTERS),
)
async def cancel_order(dynamo: Dynamo, order_id: str, expected_version: int, owner: str | None = None) -> Order:
    """Cancel an order (restoring its stock); with `owner`, only an order of that customer."""
    order = await _movable(dynamo, order_id, OrderStatus.CANCELLED, expected_version, owner)
    return await _cancel(dynamo, order)


async def _cancel(dynamo: Dynamo, order: Order) -> Order:
    """The status change and the stock of every line given back, in one transaction."""
    keys = order_items.item_keys(order.order_id, order.item_count)
    lines = [
        ORDER_ITEMS.from_item(item)
        for item in await batch_get(dynamo, [(ORDER_ITEMS.table, key) for key in keys])
        if item is not None
    ]
    at = now()
    await commit(
        dynamo,
        _status_update(order, OrderStatus.CANCELLED, at),
        *(
            versioned_update(
                PRODUCTS,
                PRODUCTS.key(line.product_id),
                at=at,
                add_fields={"stock": line.quantity},
                fails_with=NotFound(f"product {line.product_id} not found: its stock cannot be given back"),
            )
            for line in lines
        ),
        *_recounted(order, OrderStatus.CANCELLED),
    )
    return replace(order, status=OrderStatus.CANCELLED, updated_at=at, version=order.version + 1)


def _recounted(order: Order, status: OrderStatus) -> list[Action]:
    """The order leaves its status's counter for the new one's, with its total (the statuses' revenue)."""
    return counters.moved(ORDERS_BY_STATUS, order.status.value, status.value, order.total)


def _status_update(order: Order, status: OrderStatus, at: datetime) -> Action:
    return versioned_update(
        ORDERS,
        ORDERS.key(order.order_id),
        at=at,
        expected_version=order.version,
        set_fields={"status": status},
        checks=[Check("status", "=", order.status)],
        fails_with=lambda latest: _refusal(latest, status, order.version) or changed_concurrently("order"),
    )
