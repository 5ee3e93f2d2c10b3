"""Keys, ids and the table declarations that everything derives from."""

from __future__ import annotations

from graphql_api import ids
from graphql_api.graphql.registry import ALL_TABLES, table_named
from graphql_api.repositories import order_items
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS


def test_item_keys_derive_from_the_item_count() -> None:
    assert order_items.item_keys("ord_x", 3) == [("ord_x", "001"), ("ord_x", "002"), ("ord_x", "003")]
    assert order_items.item_keys("ord_x", 0) == []


def test_item_ids_sort_in_line_order() -> None:
    ids_ = [order_items.item_id(n) for n in range(1, 26)]
    assert ids_ == sorted(ids_)


def test_new_ids_have_the_documented_shape() -> None:
    for kind in ("cus", "ord", "prd"):
        value = ids.new_id(kind)
        assert ids.is_id(kind, value)


def test_ids_of_another_kind_or_shape_are_refused() -> None:
    order_id = ids.new_id("ord")
    assert not ids.is_id("cus", order_id)
    assert not ids.is_id("ord", order_id.upper())
    assert not ids.is_id("ord", order_id + "0")
    assert not ids.is_id("ord", "")


def test_keys_are_descriptive_never_pk_sk() -> None:
    for table in ALL_TABLES:
        names = [key.name for key in table.keys] + [key.name for index in table.indexes for key in index.keys]
        assert not {"PK", "SK", "GSI1PK", "GSI1SK"} & set(names)


def test_create_table_params_follow_the_declaration() -> None:
    params = ORDERS.table.create_table_params("dev-")
    assert params["TableName"] == "dev-Orders"
    assert params["KeySchema"] == [{"AttributeName": "OrderId", "KeyType": "HASH"}]
    assert params["BillingMode"] == "PAY_PER_REQUEST"
    indexes = {index["IndexName"]: index for index in params["GlobalSecondaryIndexes"]}
    assert indexes["StatusIndex"]["KeySchema"] == [
        {"AttributeName": "Status", "KeyType": "HASH"},
        {"AttributeName": "OrderDate", "KeyType": "RANGE"},
    ]
    assert {d["AttributeName"] for d in params["AttributeDefinitions"]} == {
        "OrderId",
        "CustomerId",
        "Status",
        "OrderDate",
    }


def test_a_composite_key_and_no_index() -> None:
    params = ORDER_ITEMS.table.create_table_params("")
    assert [k["AttributeName"] for k in params["KeySchema"]] == ["OrderId", "ItemId"]
    assert "GlobalSecondaryIndexes" not in params


def test_positions_hold_the_index_keys_then_the_table_keys() -> None:
    assert ORDERS.table.position_attributes(ORDERS.table.index("CustomerIndex")) == (
        "CustomerId",
        "OrderDate",
        "OrderId",
    )
    assert PRODUCTS.table.position_attributes(PRODUCTS.table.index("CategoryIndex")) == (
        "Category",
        "Name",
        "ProductId",
    )
    assert CUSTOMERS.table.position_attributes(None) == ("CustomerId",)


def test_tables_are_found_by_name_in_any_case() -> None:
    assert table_named("orderitems") is ORDER_ITEMS.table


def test_timestamps_round_trip_and_sort_as_strings() -> None:
    from datetime import UTC, datetime, timedelta, timezone

    from graphql_api.clock import format_timestamp, parse_timestamp

    moments = [datetime(2026, 1, 2, 3, 4, 5, 6, tzinfo=UTC) + timedelta(hours=h) for h in range(30)]
    texts = [format_timestamp(m) for m in moments]
    assert [parse_timestamp(t) for t in texts] == moments
    assert sorted(texts) == texts
    assert format_timestamp(moments[0].astimezone(timezone(timedelta(hours=-7)))) == texts[0]
    assert parse_timestamp(texts[0]).tzinfo is not None
