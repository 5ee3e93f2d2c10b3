"""What an entity declares reaches what is derived from it: ids, references, unique fields and their guard
table, time to live, listings. A made-up entity (a wishlist line) proves that nothing is specific to today's
tables: `validate` finds its broken reference and its broken guard with no code of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest

from graphql_api.dynamo.serialization import Item
from graphql_api.entity import Entity, Reference, Unique
from graphql_api.errors import BadUserInput
from graphql_api.graphql.registry import ALL_ENTITIES, DECLARED, LISTINGS, SERVICE_ENTITIES
from graphql_api.ops.patterns import PATTERNS, _listing_pattern
from graphql_api.ops.terraform_data import table_data
from graphql_api.ops.validate import Tables, declared_invariants
from graphql_api.repositories.customers import CUSTOMER_EMAILS, CUSTOMERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.repositories.reviews import PRODUCT_REVIEWERS, REVIEWS


@dataclass(frozen=True)
class Wish:
    customer_id: str
    wish_id: str
    product_id: str
    expires_at: int


WISHES = Entity(
    Wish,
    "Wishes",
    key=("customer_id", "wish_id"),
    id_prefix="wsh",
    references={
        "customer_id": Reference(CUSTOMERS, checked_by="wish-customer"),
        "product_id": Reference(PRODUCTS, checked_by="wish-product"),
    },
    unique=Unique(
        ("customer_id", "product_id"), guard_table="WishGuards", reserved_by="wish-guard", reserves="wish-guard"
    ),
    ttl="expires_at",
)
WISH_LISTING = WISHES.listing(pattern="AP99", purpose="A customer's wishes")


def test_ids_are_made_and_checked_by_the_declared_prefix() -> None:
    made = WISHES.new_id()
    assert made.startswith("wsh_")
    assert WISHES.is_id(made)
    assert not PRODUCTS.is_id(made)
    assert PRODUCTS.check_id(PRODUCTS.new_id(), "productId").startswith("prd_")
    with pytest.raises(BadUserInput, match="productId"):
        PRODUCTS.check_id(made, "productId")
    assert REVIEWS.id_format == "time_ordered"
    assert REVIEWS.id_field == "review_id"


def test_a_declaration_names_only_its_own_fields() -> None:
    with pytest.raises(TypeError, match="no declared field: colour"):
        Entity(Wish, "Bad", key=("customer_id",), references={"colour": Reference(PRODUCTS)})
    with pytest.raises(ValueError, match="three lowercase letters"):
        Entity(Wish, "Bad", key=("customer_id",), id_prefix="WISH")


def test_the_guard_table_derives_from_the_unique_fields() -> None:
    guard = WISHES.guard()
    assert guard.entity.table.key_names == ("CustomerId", "ProductId")
    assert [field.attribute for field in guard.entity.mapping.fields] == ["CustomerId", "ProductId", "WishId"]
    assert guard.of(Wish("cus_1", "wsh_1", "prd_1", 0)) == guard.entity.model("cus_1", "prd_1", "wsh_1")
    assert WISHES.guards == (guard.entity,)
    assert CUSTOMER_EMAILS.table.key_names == ("Email",)
    assert PRODUCT_REVIEWERS.table.key_names == ("ProductId", "CustomerId")


def test_every_table_is_a_declaration_or_a_guard_derived_from_one() -> None:
    derived = tuple(table for entity in DECLARED for table in (entity, *entity.guards))
    assert (*derived, *SERVICE_ENTITIES) == ALL_ENTITIES  # and the service's own tables (the rate limits')
    assert CUSTOMER_EMAILS in ALL_ENTITIES
    assert PRODUCT_REVIEWERS in ALL_ENTITIES


@pytest.mark.time_to_live  # the tests' tables otherwise get none (tests/conftest.py)
def test_time_to_live_reaches_the_table_and_terraform() -> None:
    assert WISHES.table.ttl_attribute == "ExpiresAt"
    assert table_data(WISHES.table)["ttl_attribute"] == "ExpiresAt"
    assert WISHES.table.time_to_live_params("dev-") == {
        "TableName": "dev-Wishes",
        "TimeToLiveSpecification": {"Enabled": True, "AttributeName": "ExpiresAt"},
    }
    # Of today's tables only cart lines, audit entries and rate-limit counters expire.
    expiring = {entity.table.name: entity.table.ttl_attribute for entity in ALL_ENTITIES if entity.table.ttl_attribute}
    assert expiring == {"CartItems": "ExpiresAt", "AuditLog": "ExpiresAt", "RateLimits": "ExpiresAt"}


def test_the_pattern_rows_of_listings_are_their_declared_numbers_and_purposes() -> None:
    rows = {pattern.number: pattern.name for pattern in PATTERNS}
    assert {listing.pattern: listing.purpose for listing in LISTINGS}.items() <= rows.items()
    with pytest.raises(LookupError, match="AP99"):
        _listing_pattern(WISH_LISTING)


def _tables(wishes: list[Wish], guards: list[Any], customers: list[Item], products: list[Item]) -> Tables:
    items: dict[Entity[Any], list[Item]] = {entity: [] for entity in ALL_ENTITIES}
    items[CUSTOMERS] = customers
    items[PRODUCTS] = products
    items[WISHES] = [WISHES.to_item(wish) for wish in wishes]
    items[WISHES.guard().entity] = [WISHES.guard().entity.to_item(guard) for guard in guards]
    return Tables(items)


def test_validate_finds_a_broken_reference_and_guard_of_any_declared_entity() -> None:
    invariants = declared_invariants([WISHES])
    assert [invariant.name for invariant in invariants] == ["wish-customer", "wish-product", "wish-guard", "wish-guard"]
    guard = WISHES.guard()
    kept = Wish("cus_1", "wsh_1", "prd_1", 0)
    dangling = Wish("cus_1", "wsh_2", "prd_gone", 0)
    customers = [{"CustomerId": "cus_1"}]
    products = [{"ProductId": "prd_1"}]
    tables = _tables(
        [kept, dangling], [guard.of(kept), guard.entity.model("cus_2", "prd_1", "wsh_9")], customers, products
    )
    found = sorted(
        (violation.invariant, violation.keys, violation.detail)
        for invariant in invariants
        for violation in invariant.check(tables)
    )
    assert found == [
        ("wish-guard", ("WishGuards(CustomerId=cus_2, ProductId=prd_1)",), "reserves for wsh_9, which does not exist"),
        (
            "wish-guard",
            ("Wishes(CustomerId=cus_1, WishId=wsh_2)",),
            "no guard reserves its customer id and product id cus_1, prd_gone",
        ),
        ("wish-product", ("Wishes(CustomerId=cus_1, WishId=wsh_2)",), "its product prd_gone does not exist"),
    ]
