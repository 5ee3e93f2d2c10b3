"""Drift between declared and described tables, and the GSI change plans: pure functions, no server."""

from __future__ import annotations

import copy
from typing import Any

from graphql_api.graphql.registry import ALL_TABLES
from graphql_api.ops.single_table_streams import migration_streams
from graphql_api.ops.table_verify import (
    Drift,
    DriftKind,
    GsiChange,
    GsiPlan,
    differences,
    migration_stream_note,
    plan_gsi_changes,
    report_lines,
)
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.order_items import ORDER_ITEMS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.tables import Index, Key, Table


def described(table: Table, prefix: str = "dev-") -> dict[str, Any]:
    """DescribeTable's "Table" for a table created exactly as declared, all ACTIVE."""
    params = table.create_table_params(prefix)
    description: dict[str, Any] = {
        "TableName": params["TableName"],
        "TableStatus": "ACTIVE",
        "KeySchema": params["KeySchema"],
        "AttributeDefinitions": params["AttributeDefinitions"],
        "BillingModeSummary": {"BillingMode": "PAY_PER_REQUEST"},
    }
    if "GlobalSecondaryIndexes" in params:
        description["GlobalSecondaryIndexes"] = [
            {**copy.deepcopy(index), "IndexStatus": "ACTIVE"} for index in params["GlobalSecondaryIndexes"]
        ]
    if "StreamSpecification" in params:
        description["StreamSpecification"] = params["StreamSpecification"]
    return description


def gsi(description: dict[str, Any], name: str) -> dict[str, Any]:
    index: dict[str, Any] = next(i for i in description["GlobalSecondaryIndexes"] if i["IndexName"] == name)
    return index


def lines(drifts: list[Drift]) -> list[str]:
    return [drift.line() for drift in drifts]


def test_a_table_as_declared_has_no_differences() -> None:
    for table in ALL_TABLES:
        assert differences(table, described(table)) == []


def test_a_missing_table() -> None:
    assert differences(ORDERS.table, None) == [Drift("Orders", DriftKind.MISSING_TABLE, "table is missing")]


def test_a_table_that_is_not_active() -> None:
    live = described(PRODUCTS.table) | {"TableStatus": "UPDATING"}
    assert lines(differences(PRODUCTS.table, live)) == ["Products: table is UPDATING, not ACTIVE"]


def test_key_schema_differences_name_type_and_role() -> None:
    wrong_name = described(ORDERS.table)
    wrong_name["KeySchema"] = [{"AttributeName": "Id", "KeyType": "HASH"}]
    wrong_name["AttributeDefinitions"].append({"AttributeName": "Id", "AttributeType": "S"})
    assert lines(differences(ORDERS.table, wrong_name)) == [
        "Orders: key schema is Id (S) HASH; declared OrderId (S) HASH "
        "(keys cannot change in place: the table must be replaced)"
    ]

    wrong_type = described(ORDERS.table)
    wrong_type["AttributeDefinitions"][0] = {"AttributeName": "OrderId", "AttributeType": "N"}
    assert [d.message.split(";")[0] for d in differences(ORDERS.table, wrong_type)] == [
        "key schema is OrderId (N) HASH"
    ]

    missing_range = described(ORDER_ITEMS.table)
    missing_range["KeySchema"] = missing_range["KeySchema"][:1]
    assert lines(differences(ORDER_ITEMS.table, missing_range)) == [
        "OrderItems: key schema is OrderId (S) HASH; declared OrderId (S) HASH, ItemId (S) RANGE "
        "(keys cannot change in place: the table must be replaced)"
    ]

    swapped_roles = described(ORDER_ITEMS.table)
    swapped_roles["KeySchema"] = [
        {"AttributeName": "ItemId", "KeyType": "HASH"},
        {"AttributeName": "OrderId", "KeyType": "RANGE"},
    ]
    assert differences(ORDER_ITEMS.table, swapped_roles)[0].message.startswith(
        "key schema is ItemId (S) HASH, OrderId (S) RANGE; declared OrderId (S) HASH, ItemId (S) RANGE"
    )


def test_a_key_listed_range_first_is_still_the_same_schema() -> None:
    live = described(ORDER_ITEMS.table)
    live["KeySchema"] = list(reversed(live["KeySchema"]))
    assert differences(ORDER_ITEMS.table, live) == []


def test_a_missing_gsi() -> None:
    live = described(ORDERS.table)
    live["GlobalSecondaryIndexes"] = [gsi(live, "CustomerIndex")]
    assert differences(ORDERS.table, live) == [
        Drift(
            "Orders",
            DriftKind.MISSING_INDEX,
            "missing GSI StatusIndex (Status (S) HASH, OrderDate (S) RANGE; projection ALL)",
            index="StatusIndex",
        )
    ]


def test_a_table_with_no_gsis_at_all() -> None:
    live = described(CUSTOMERS.table)
    del live["GlobalSecondaryIndexes"]
    assert [d.kind for d in differences(CUSTOMERS.table, live)] == [DriftKind.MISSING_INDEX]


def test_an_extra_gsi_and_an_extra_lsi() -> None:
    live = described(PRODUCTS.table)
    live["AttributeDefinitions"].append({"AttributeName": "Price", "AttributeType": "N"})
    live["GlobalSecondaryIndexes"].append(
        {
            "IndexName": "PriceIndex",
            "KeySchema": [{"AttributeName": "Price", "KeyType": "HASH"}],
            "Projection": {"ProjectionType": "KEYS_ONLY"},
            "IndexStatus": "ACTIVE",
        }
    )
    live["LocalSecondaryIndexes"] = [
        {
            "IndexName": "ByPrice",
            "KeySchema": [
                {"AttributeName": "ProductId", "KeyType": "HASH"},
                {"AttributeName": "Price", "KeyType": "RANGE"},
            ],
            "Projection": {"ProjectionType": "ALL"},
        }
    ]
    assert lines(differences(PRODUCTS.table, live)) == [
        "Products: extra GSI PriceIndex (Price (N) HASH; projection KEYS_ONLY), not declared",
        "Products: extra LSI ByPrice (ProductId (S) HASH, Price (N) RANGE; projection ALL), not declared "
        "(LSIs cannot be removed in place: the table must be replaced)",
    ]


def test_a_gsi_with_wrong_keys_and_wrong_projection() -> None:
    live = described(ORDERS.table)
    status_index = gsi(live, "StatusIndex")
    status_index["KeySchema"] = status_index["KeySchema"][:1]
    status_index["Projection"] = {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["Total", "Currency"]}
    assert lines(differences(ORDERS.table, live)) == [
        "Orders: GSI StatusIndex keys are Status (S) HASH; declared Status (S) HASH, OrderDate (S) RANGE",
        "Orders: GSI StatusIndex projection is INCLUDE [Currency, Total]; declared ALL",
    ]


def test_include_projections_compare_their_attributes_in_any_order() -> None:
    table = Table(
        "Things",
        Key("ThingId"),
        indexes=(Index("ByKind", Key("Kind"), projection="INCLUDE", non_key_attributes=("B", "A")),),
    )
    live = described(table)
    gsi(live, "ByKind")["Projection"]["NonKeyAttributes"] = ["A", "B"]
    assert differences(table, live) == []
    gsi(live, "ByKind")["Projection"]["NonKeyAttributes"] = ["A"]
    assert lines(differences(table, live)) == ["Things: GSI ByKind projection is INCLUDE [A]; declared INCLUDE [A, B]"]


def test_a_gsi_that_is_not_active() -> None:
    live = described(ORDERS.table)
    gsi(live, "StatusIndex").update(IndexStatus="CREATING", Backfilling=True)
    gsi(live, "CustomerIndex").update(IndexStatus="UPDATING")
    assert lines(differences(ORDERS.table, live)) == [
        "Orders: GSI CustomerIndex is UPDATING, not ACTIVE",
        "Orders: GSI StatusIndex is CREATING (backfilling), not ACTIVE",
    ]


def test_a_declared_gsi_being_deleted_is_missing() -> None:
    live = described(ORDERS.table)
    gsi(live, "StatusIndex")["IndexStatus"] = "DELETING"
    (drift,) = differences(ORDERS.table, live)
    assert drift.kind is DriftKind.MISSING_INDEX
    assert drift.message.endswith("; the live index of that name is DELETING")


def test_an_unknown_attribute_type_shows_as_a_question_mark() -> None:
    # moto replaces AttributeDefinitions with those of the last UpdateTable, losing key types.
    live = described(CUSTOMERS.table)
    live["AttributeDefinitions"] = [{"AttributeName": "Email", "AttributeType": "S"}]
    assert lines(differences(CUSTOMERS.table, live)) == [
        "Customers: key schema is CustomerId (?) HASH; declared CustomerId (S) HASH "
        "(keys cannot change in place: the table must be replaced)"
    ]


def _drift(kind: DriftKind, index: str | None = None, table: str = "Orders", status: str | None = None) -> Drift:
    return Drift(table, kind, "...", index=index, index_status=status)


def test_one_gsi_change_needs_no_plan() -> None:
    assert plan_gsi_changes([_drift(DriftKind.MISSING_INDEX, "StatusIndex")]) == []
    assert plan_gsi_changes([_drift(DriftKind.INDEX_NOT_ACTIVE, "StatusIndex")]) == []


def test_a_changed_gsi_is_a_deletion_then_a_creation() -> None:
    drifts = [_drift(DriftKind.INDEX_KEYS, "StatusIndex"), _drift(DriftKind.INDEX_PROJECTION, "StatusIndex")]
    assert plan_gsi_changes(drifts) == [
        GsiPlan("Orders", (GsiChange("delete", "StatusIndex"), GsiChange("create", "StatusIndex")))
    ]


def test_deletions_come_before_creations_one_per_step() -> None:
    drifts = [
        _drift(DriftKind.MISSING_INDEX, "CustomerIndex"),
        _drift(DriftKind.INDEX_PROJECTION, "StatusIndex"),
        _drift(DriftKind.EXTRA_INDEX, "OldIndex", status="DELETING"),
        _drift(DriftKind.EXTRA_INDEX, "TotalIndex"),
        _drift(DriftKind.MISSING_INDEX, "CategoryIndex", table="Products"),
    ]
    (plan,) = plan_gsi_changes(drifts)
    assert plan.lines("dev-") == [
        "dev-Orders needs 5 GSI changes; DynamoDB takes one GSI creation or deletion per update: apply in 5 steps:",
        "  1) delete StatusIndex (wait until it is gone)",
        "  2) wait until OldIndex is gone (it is already DELETING)",
        "  3) delete TotalIndex (wait until it is gone)",
        "  4) create CustomerIndex (wait until it is ACTIVE)",
        "  5) create StatusIndex (wait until it is ACTIVE)",
        "  Terraform: the AWS provider runs these steps in this order within one apply, waiting for each.",
        "  On a large table, where each creation backfills the index for a long time, make one step per apply: "
        "edit the module call's global_secondary_indexes one index at a time, in this order.",
    ]


def test_missing_or_replaced_tables_get_their_gsis_with_the_table() -> None:
    missing_table = [_drift(DriftKind.MISSING_TABLE)]
    replaced = [
        _drift(DriftKind.KEY_SCHEMA),
        _drift(DriftKind.MISSING_INDEX, "CustomerIndex"),
        _drift(DriftKind.MISSING_INDEX, "StatusIndex"),
    ]
    assert plan_gsi_changes(missing_table) == []
    assert plan_gsi_changes(replaced) == []


def test_the_report_when_nothing_drifted() -> None:
    assert report_lines([], prefix="dev-", where="http://localhost:8000") == [
        f"No drift: all {len(ALL_TABLES)} tables match the declarations (prefix 'dev-', http://localhost:8000)."
    ]


def test_the_report_lists_differences_plans_and_a_summary() -> None:
    drifts = [
        Drift(
            "Orders", DriftKind.INDEX_PROJECTION, "GSI StatusIndex projection is KEYS_ONLY; declared ALL", "StatusIndex"
        ),
        Drift("OrderItems", DriftKind.MISSING_TABLE, "table is missing"),
    ]
    report = report_lines(drifts, prefix="prod-", where="AWS us-east-1")
    assert report[:3] == [
        "prod-Orders: GSI StatusIndex projection is KEYS_ONLY; declared ALL",
        "prod-OrderItems: table is missing",
        "",
    ]
    assert report[3].startswith("prod-Orders needs 2 GSI changes")
    assert report[-2:] == [
        "",
        f"Drift: 2 differences in 2 of {len(ALL_TABLES)} tables (prefix 'prod-', AWS us-east-1).",
    ]


def test_a_missing_stream_is_reported() -> None:
    """Subscriptions read the Orders and Products streams: a table without its stream is drift."""
    live = described(ORDERS.table)
    del live["StreamSpecification"]
    assert lines(differences(ORDERS.table, live)) == [
        "Orders: stream is off; declared NEW_AND_OLD_IMAGES (subscriptions need it: enable it with UpdateTable "
        "or Terraform)"
    ]
    live["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "KEYS_ONLY"}
    assert lines(differences(ORDERS.table, live)) == [
        "Orders: stream is KEYS_ONLY; declared NEW_AND_OLD_IMAGES (subscriptions need it: enable it with UpdateTable "
        "or Terraform)"
    ]


def test_the_migrations_stream_on_a_table_declaring_none_is_a_note_not_drift() -> None:
    """`migrate replicate` reads a stream on OrderItems, which declares none: with the migration's view it is the
    migration's (reported as such), with another view, or unknown to the migration, it is drift."""
    streams = migration_streams()
    assert streams["OrderItems"] == "NEW_AND_OLD_IMAGES"
    live = described(ORDER_ITEMS.table)
    live["StreamSpecification"] = {"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"}

    assert differences(ORDER_ITEMS.table, live, migration_streams=streams) == []
    assert migration_stream_note(ORDER_ITEMS.table, live, streams) == (
        "OrderItems: stream NEW_AND_OLD_IMAGES is the single-table migration's (migrate replicate reads it; "
        "Terraform keeps it with single_table_enabled), not drift"
    )
    assert lines(differences(ORDER_ITEMS.table, live)) == ["OrderItems: stream is NEW_AND_OLD_IMAGES; declared off"]
    live["StreamSpecification"]["StreamViewType"] = "KEYS_ONLY"
    assert lines(differences(ORDER_ITEMS.table, live, migration_streams=streams)) == [
        "OrderItems: stream is KEYS_ONLY; declared off"
    ]
    assert migration_stream_note(ORDER_ITEMS.table, live, streams) is None
    assert migration_stream_note(ORDERS.table, described(ORDERS.table), streams) is None  # its own, declared


def test_the_report_prints_the_notes_first() -> None:
    note = "OrderItems: stream NEW_AND_OLD_IMAGES is the single-table migration's"
    assert report_lines([], prefix="dev-", where="here", notes=[note]) == [
        f"dev-{note}",
        f"No drift: all {len(ALL_TABLES)} tables match the declarations (prefix 'dev-', here).",
    ]
