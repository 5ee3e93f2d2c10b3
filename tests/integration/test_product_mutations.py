"""createProduct and updateProduct: exact money, optional fields, optimistic locking."""

from __future__ import annotations

from decimal import Decimal

from tests.operations import GET_PRODUCT, UPDATE_PRODUCT, create_product, error_of
from tests.support import Api


def test_create_keeps_money_exact(api: Api) -> None:
    product = create_product(api, price="0.10", stock=3)
    assert product["price"] == "0.10"
    assert Decimal(product["price"]) * 3 == Decimal("0.30")
    assert product["version"] == 1
    assert api.data_of(GET_PRODUCT, {"id": product["productId"]})["product"] == product


def test_update_changes_only_what_is_given(api: Api) -> None:
    product = create_product(api, category="lamps")
    updated = api.data_of(
        UPDATE_PRODUCT,
        {"input": {"productId": product["productId"], "expectedVersion": 1, "price": "12.50", "category": "lights"}},
    )["updateProduct"]
    assert updated == {**product, "price": "12.50", "category": "lights", "version": 2}
    listed = api.data_of('{ productsByCategory(category: "lights", first: 100) { edges { node { productId } } } }')
    assert {"node": {"productId": product["productId"]}} in listed["productsByCategory"]["edges"]


def test_description_null_clears_it_and_omitted_keeps_it(api: Api) -> None:
    product = create_product(api)
    kept = api.data_of(
        UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 1, "name": "Renamed"}}
    )["updateProduct"]
    assert kept["description"] == product["description"]
    cleared = api.data_of(
        UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 2, "description": None}}
    )["updateProduct"]
    assert cleared["description"] is None
    assert cleared["name"] == "Renamed"


def test_a_stale_update_writes_nothing(api: Api) -> None:
    product = create_product(api)
    api.data_of(UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 1, "stock": 5}})
    error = error_of(
        api.query(UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 1, "stock": 50}})
    )
    assert error["extensions"] == {"code": "VERSION_MISMATCH", "currentVersion": 2}
    assert api.data_of(GET_PRODUCT, {"id": product["productId"]})["product"]["stock"] == 5


def test_update_of_a_missing_product_is_not_found(api: Api) -> None:
    error = error_of(
        api.query(UPDATE_PRODUCT, {"input": {"productId": "prd_" + "e" * 32, "expectedVersion": 1, "stock": 1}})
    )
    assert error["extensions"]["code"] == "NOT_FOUND"
