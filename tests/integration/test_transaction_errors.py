"""Every condition of every transactional write, made to fail for real, raises its own error (both backends).

Most conditions are checked by a read before the write, so to reach the write's own condition another
writer changes the data between that read and the write: `meddling` runs the other writer's change (on
a client of its own) just before the first write of the code under test. Everything runs against the
suite's real tables through the repositories (the mutations' own code, one call each).

Every test runs twice: the actions sent as built, and reversed (`transactions.send_order`): each error
comes from the action whose condition failed, never from its place in the transaction.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import pytest

from graphql_api.dynamo import transactions
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Transaction
from graphql_api.errors import ApiError
from graphql_api.repositories import counters, customers, order_writes, products, reviews
from graphql_api.repositories._writes import get, key_of
from graphql_api.repositories.customers import CUSTOMERS, Address, Customer
from graphql_api.repositories.order_writes import OrderLine
from graphql_api.repositories.orders import Order, OrderStatus
from graphql_api.repositories.products import PRODUCTS, Product, ProductChanges
from tests.support import Api, run_with_dynamo

_WRITES = frozenset({"put_item", "update_item", "delete_item", "transact_write_items"})
ORDERS = {
    "as built": transactions.send_order,
    "reversed": lambda count: list(reversed(range(count))),
}


@pytest.fixture(params=list(ORDERS))
def send_order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setattr(transactions, "send_order", ORDERS[request.param])
    name: str = request.param
    return name


@dataclass
class Meddling:
    """A real client whose first write is preceded by another writer's change (`meddle`, on the plain client)."""

    plain: Dynamo
    meddle: Callable[[Dynamo], Awaitable[Any]] | None = None
    sent: list[list[str]] = field(default_factory=list)
    """The tables of each TransactWriteItems sent, in the order sent."""

    @property
    def dynamo(self) -> Dynamo:
        async def call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
            if operation in _WRITES and self.meddle is not None:
                meddle, self.meddle = self.meddle, None
                await meddle(self.plain)
            if operation == "transact_write_items":
                self.sent.append([next(iter(a.values()))["TableName"] for a in params["TransactItems"]])
            return await self.plain.call(operation, **params)

        return Dynamo(call, self.plain.table_prefix)


def _run(api: Api, scenario: Callable[[Dynamo], Awaitable[Any]]) -> Any:
    return run_with_dynamo(api.settings, scenario)


async def _refused(work: Awaitable[Any]) -> ApiError:
    with pytest.raises(ApiError) as caught:
        await work
    return caught.value


async def _customer(dynamo: Dynamo, email: str | None = None) -> Customer:
    email = email or f"tx.{uuid.uuid4().hex[:10]}@example.com"
    address = Address("1 Main St", "Berlin", "10115", "DE", "home")
    return await customers.create(dynamo, email=email, name="Tx Customer", addresses=(address,))


async def _product(dynamo: Dynamo, stock: int = 10, price: str = "9.99") -> Product:
    return await products.create(
        dynamo, name="Tx Widget", description=None, category="tx", price=Decimal(price), currency="EUR", stock=stock
    )


async def _order(dynamo: Dynamo, customer: Customer, *lines: tuple[Product, int], key: str | None = None) -> Order:
    order_lines = [OrderLine(product.product_id, quantity) for product, quantity in lines]
    return (await order_writes.place_order(dynamo, customer.customer_id, order_lines, key)).order


async def _stock(dynamo: Dynamo, product: Product) -> int:
    stored = await _product_now(dynamo, product.product_id)
    assert stored is not None
    return stored.stock


async def _product_now(dynamo: Dynamo, product_id: str) -> Product | None:
    return await get(dynamo, PRODUCTS, PRODUCTS.key(product_id))


async def _customer_now(dynamo: Dynamo, customer_id: str) -> Customer | None:
    return await get(dynamo, CUSTOMERS, CUSTOMERS.key(customer_id))


async def _delete_raw(dynamo: Dynamo, product: Product) -> None:
    """A product gone behind the service's back (the API has no product deletion), its category's count kept true:
    the shared tables stay valid for `validate`'s test of them, whichever test runs first in a worker."""
    key = key_of(PRODUCTS, PRODUCTS.key(product.product_id))
    await dynamo.call("delete_item", TableName=PRODUCTS.table.physical_name(dynamo.table_prefix), Key=key)
    await Transaction(dynamo).add(counters.add(counters.PRODUCTS_BY_CATEGORY, product.category, -1)).commit()


# --- createCustomer, updateCustomer, deleteCustomer ---------------------------------------------------------


def test_create_customer_with_a_taken_email_is_conflict_on_email(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        taken = await _customer(dynamo)
        return await _refused(_customer(dynamo, email=taken.email.upper()))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("CONFLICT", {"field": "email"})


def test_a_second_customer_for_one_identity_is_conflict_naming_me(api: Api, send_order: str) -> None:
    subject = f"tx-{uuid.uuid4().hex[:8]}"

    async def scenario(dynamo: Dynamo) -> ApiError:
        address = Address("1 Main St", "Berlin", "10115", "DE")
        await customers.create(dynamo, email=f"{subject}@example.com", name="A", addresses=(address,), subject=subject)
        other_email = f"{subject}.other@example.com"
        return await _refused(customers.create(dynamo, email=other_email, name="B", addresses=(), subject=subject))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("CONFLICT", {})
    assert "use `me`" in error.message


def test_update_customer_at_a_stale_version_is_version_mismatch_with_the_version_found(
    api: Api, send_order: str
) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer = await _customer(dynamo)
        meddling = Meddling(dynamo, lambda d: customers.update(d, customer.customer_id, 1, name="Other writer"))
        return await _refused(customers.update(meddling.dynamo, customer.customer_id, 1, email=f"n.{customer.email}"))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("VERSION_MISMATCH", {"currentVersion": 2})


def test_update_customer_to_a_taken_email_is_conflict_on_email(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, Customer | None]:
        taken = await _customer(dynamo)
        customer = await _customer(dynamo)
        error = await _refused(customers.update(dynamo, customer.customer_id, 1, email=taken.email, name="New"))
        return error, await _customer_now(dynamo, customer.customer_id)

    error, after = _run(api, scenario)
    assert (error.code, error.extensions) == ("CONFLICT", {"field": "email"})
    assert after is not None
    assert (after.version, after.name) == (1, "Tx Customer")


def test_update_customer_deleted_meanwhile_is_not_found(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer = await _customer(dynamo)
        meddling = Meddling(dynamo, lambda d: customers.delete(d, customer.customer_id, 1))
        return await _refused(customers.update(meddling.dynamo, customer.customer_id, 1, name="Late"))

    assert _run(api, scenario).code == "NOT_FOUND"


def test_delete_customer_at_a_stale_version_is_version_mismatch(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer = await _customer(dynamo)
        meddling = Meddling(dynamo, lambda d: customers.update(d, customer.customer_id, 1, name="Other writer"))
        return await _refused(customers.delete(meddling.dynamo, customer.customer_id, 1))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("VERSION_MISMATCH", {"currentVersion": 2})


def test_delete_customer_who_ordered_meanwhile_is_conflict_naming_the_orders(api: Api, send_order: str) -> None:
    """The order also moved the version: the orders are named first, as reloading would not help."""

    async def scenario(dynamo: Dynamo) -> tuple[ApiError, Customer | None]:
        customer = await _customer(dynamo)
        product = await _product(dynamo)
        meddling = Meddling(dynamo, lambda d: _order(d, customer, (product, 1)))
        error = await _refused(customers.delete(meddling.dynamo, customer.customer_id, 1))
        return error, await _customer_now(dynamo, customer.customer_id)

    error, after = _run(api, scenario)
    assert error.code == "CONFLICT"
    assert error.message == "customer has 1 orders and cannot be deleted"
    assert after is not None


# --- updateProduct ------------------------------------------------------------------------------------------


def test_update_product_at_a_stale_version_is_version_mismatch(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        product = await _product(dynamo)
        meddling = Meddling(dynamo, lambda d: products.update(d, product.product_id, 1, ProductChanges(stock=3)))
        return await _refused(products.update(meddling.dynamo, product.product_id, 1, ProductChanges(stock=7)))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("VERSION_MISMATCH", {"currentVersion": 2})


def test_update_product_removed_meanwhile_is_not_found(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        product = await _product(dynamo)
        meddling = Meddling(dynamo, lambda d: _delete_raw(d, product))
        return await _refused(products.update(meddling.dynamo, product.product_id, 1, ProductChanges(stock=7)))

    assert _run(api, scenario).code == "NOT_FOUND"


# --- placeOrder ---------------------------------------------------------------------------------------------


def test_place_order_when_stock_ran_low_meanwhile_is_out_of_stock_naming_the_product(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, str, list[int]]:
        customer, other = await _customer(dynamo), await _customer(dynamo)
        plenty, scarce = await _product(dynamo, stock=10), await _product(dynamo, stock=5)
        meddling = Meddling(dynamo, lambda d: _order(d, other, (scarce, 4)))
        error = await _refused(_order(meddling.dynamo, customer, (plenty, 1), (scarce, 3)))
        return error, scarce.product_id, [await _stock(dynamo, plenty), await _stock(dynamo, scarce)]

    error, scarce, stocks = _run(api, scenario)
    assert error.code == "OUT_OF_STOCK"
    assert error.extensions == {"field": "items[1].quantity", "productId": scarce, "available": 1}
    assert stocks == [10, 1], "the refused order wrote nothing"


def test_place_order_of_a_product_removed_meanwhile_is_not_found_on_its_line(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer = await _customer(dynamo)
        kept, removed = await _product(dynamo), await _product(dynamo)
        meddling = Meddling(dynamo, lambda d: _delete_raw(d, removed))
        return await _refused(_order(meddling.dynamo, customer, (kept, 1), (removed, 1)))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("NOT_FOUND", {"field": "items[1].productId"})


def test_place_order_for_a_customer_deleted_meanwhile_is_not_found_on_the_customer(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, int]:
        customer = await _customer(dynamo)
        product = await _product(dynamo, stock=4)
        meddling = Meddling(dynamo, lambda d: customers.delete(d, customer.customer_id, 1))
        error = await _refused(_order(meddling.dynamo, customer, (product, 2)))
        return error, await _stock(dynamo, product)

    error, stock = _run(api, scenario)
    assert (error.code, error.extensions) == ("NOT_FOUND", {"field": "customerId"})
    assert stock == 4


def test_place_order_with_a_key_taken_meanwhile_for_other_lines_is_conflict_on_the_key(
    api: Api, send_order: str
) -> None:
    """The other placement also took the last stock: the taken key, not the stock, is the answer."""

    async def scenario(dynamo: Dynamo) -> tuple[ApiError, int]:
        customer = await _customer(dynamo)
        product = await _product(dynamo, stock=3)
        meddling = Meddling(dynamo, lambda d: _order(d, customer, (product, 3), key="tx-key"))
        error = await _refused(_order(meddling.dynamo, customer, (product, 2), key="tx-key"))
        return error, await _stock(dynamo, product)

    error, stock = _run(api, scenario)
    assert (error.code, error.extensions) == ("CONFLICT", {"field": "idempotencyKey"})
    assert stock == 0


def test_place_order_whose_price_moved_meanwhile_is_placed_at_the_new_price(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[Order, int]:
        customer = await _customer(dynamo)
        product = await _product(dynamo, stock=5, price="10.00")
        meddling = Meddling(
            dynamo, lambda d: products.update(d, product.product_id, 1, ProductChanges(price=Decimal("12.00")))
        )
        order = await _order(meddling.dynamo, customer, (product, 2))
        return order, await _stock(dynamo, product)

    order, stock = _run(api, scenario)
    assert order.total == Decimal("24.00")
    assert stock == 3


# --- updateOrderStatus, cancelOrder -------------------------------------------------------------------------


async def _placed(dynamo: Dynamo, stock: int = 5) -> tuple[Order, Product]:
    customer = await _customer(dynamo)
    product = await _product(dynamo, stock=stock)
    return await _order(dynamo, customer, (product, 2)), product


def test_order_status_at_a_stale_version_is_version_mismatch(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        order, _ = await _placed(dynamo)
        meddling = Meddling(dynamo, lambda d: order_writes.change_status(d, order.order_id, OrderStatus.PAID, 1))
        return await _refused(order_writes.change_status(meddling.dynamo, order.order_id, OrderStatus.CANCELLED, 1))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("VERSION_MISMATCH", {"currentVersion": 2})


def test_order_status_the_new_status_forbids_is_invalid_transition(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        order, _ = await _placed(dynamo)
        meddling = Meddling(dynamo, lambda d: order_writes.cancel_order(d, order.order_id, 1))
        return await _refused(order_writes.change_status(meddling.dynamo, order.order_id, OrderStatus.PAID, 1))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("INVALID_TRANSITION", {"currentStatus": "CANCELLED"})


def test_cancel_an_order_shipped_meanwhile_is_invalid_transition_and_gives_no_stock_back(
    api: Api, send_order: str
) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, int]:
        order, product = await _placed(dynamo)
        paid = await order_writes.change_status(dynamo, order.order_id, OrderStatus.PAID, 1)
        meddling = Meddling(
            dynamo, lambda d: order_writes.change_status(d, order.order_id, OrderStatus.SHIPPED, paid.version)
        )
        error = await _refused(order_writes.cancel_order(meddling.dynamo, order.order_id, paid.version))
        return error, await _stock(dynamo, product)

    error, stock = _run(api, scenario)
    assert (error.code, error.extensions) == ("INVALID_TRANSITION", {"currentStatus": "SHIPPED"})
    assert stock == 3


def test_cancel_an_order_paid_meanwhile_is_version_mismatch(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        order, _ = await _placed(dynamo)
        meddling = Meddling(dynamo, lambda d: order_writes.change_status(d, order.order_id, OrderStatus.PAID, 1))
        return await _refused(order_writes.cancel_order(meddling.dynamo, order.order_id, 1))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("VERSION_MISMATCH", {"currentVersion": 2})


# --- createReview, deleteReview -----------------------------------------------------------------------------


async def _review(dynamo: Dynamo, customer: Customer, product_id: str) -> reviews.Review:
    return await reviews.create(dynamo, customer.customer_id, product_id, rating=4, title="Fine", body="It works.")


def test_a_second_review_of_one_product_is_conflict_on_the_product(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, Product | None]:
        customer, product = await _customer(dynamo), await _product(dynamo)
        await _review(dynamo, customer, product.product_id)
        error = await _refused(_review(dynamo, customer, product.product_id))
        return error, await _product_now(dynamo, product.product_id)

    error, product = _run(api, scenario)
    assert (error.code, error.extensions) == ("CONFLICT", {"field": "productId"})
    assert product is not None
    assert (product.review_count, product.rating_sum) == (1, 4)


def test_a_review_of_a_missing_product_is_not_found_on_the_product(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer = await _customer(dynamo)
        return await _refused(_review(dynamo, customer, f"prd_{uuid.uuid4().hex[:20]}"))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("NOT_FOUND", {"field": "productId"})


def test_a_review_by_a_customer_deleted_meanwhile_is_not_found_on_the_customer(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer, product = await _customer(dynamo), await _product(dynamo)
        meddling = Meddling(dynamo, lambda d: customers.delete(d, customer.customer_id, 1))
        return await _refused(_review(meddling.dynamo, customer, product.product_id))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("NOT_FOUND", {"field": "customerId"})


def test_deleting_a_review_deleted_meanwhile_is_not_found_and_counts_it_once(api: Api, send_order: str) -> None:
    async def scenario(dynamo: Dynamo) -> tuple[ApiError, Product | None]:
        customer, product = await _customer(dynamo), await _product(dynamo)
        review = await _review(dynamo, customer, product.product_id)
        meddling = Meddling(dynamo, lambda d: reviews.delete(d, product.product_id, review.review_id, author=None))
        error = await _refused(reviews.delete(meddling.dynamo, product.product_id, review.review_id, author=None))
        return error, await _product_now(dynamo, product.product_id)

    error, product = _run(api, scenario)
    assert (error.code, error.extensions) == ("NOT_FOUND", {"field": "reviewId"})
    assert product is not None
    assert (product.review_count, product.rating_sum) == (0, 0)


# --- The order sent ------------------------------------------------------------------------------------------


def test_the_actions_are_sent_in_the_order_chosen_and_the_error_follows_its_action(api: Api, send_order: str) -> None:
    """createReview's five actions, its guard taken: sent as built or reversed, the answer is the guard's."""

    async def scenario(dynamo: Dynamo) -> tuple[ApiError, list[list[str]]]:
        customer, product = await _customer(dynamo), await _product(dynamo)
        await _review(dynamo, customer, product.product_id)
        meddling = Meddling(dynamo)
        return await _refused(_review(meddling.dynamo, customer, product.product_id)), meddling.sent

    error, sent = _run(api, scenario)
    built = ["Reviews", "ProductReviewers", "Products", "Customers", "Counters"]
    tables = [[name.removeprefix(api.settings.table_prefix) for name in names] for names in sent]
    assert tables == [built if send_order == "as built" else built[::-1]]
    assert (error.code, error.extensions) == ("CONFLICT", {"field": "productId"})


# --- The same answer before the write (its read) as from its failed condition ---------------------------------


def test_a_late_cancel_of_a_cancelled_order_is_invalid_transition_before_the_write_too(api: Api) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        order, _ = await _placed(dynamo)
        await order_writes.cancel_order(dynamo, order.order_id, 1)
        return await _refused(order_writes.cancel_order(dynamo, order.order_id, 1))

    error = _run(api, scenario)
    assert (error.code, error.extensions) == ("INVALID_TRANSITION", {"currentStatus": "CANCELLED"})


def test_a_stale_delete_of_a_customer_with_orders_names_the_orders_before_the_write_too(api: Api) -> None:
    async def scenario(dynamo: Dynamo) -> ApiError:
        customer, product = await _customer(dynamo), await _product(dynamo)
        await _order(dynamo, customer, (product, 1))
        return await _refused(customers.delete(dynamo, customer.customer_id, 1))

    error = _run(api, scenario)
    assert (error.code, error.message) == ("CONFLICT", "customer has 1 orders and cannot be deleted")
