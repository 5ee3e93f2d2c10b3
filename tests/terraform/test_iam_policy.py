"""The IAM policy's data: current, made of the declarations' own names, and a comparison that catches drift both ways.

graphql_api.ops.iam_policy declares the service's DynamoDB access per code path and renders it into
infra_terraform/dynamodb_access.auto.tfvars.json. Here: the file equals the rendering; every grant names a
declared table, index or stream and one DynamoDB action (no wildcard can be written); calls map to grants
as IAM authorizes them (a transaction's parts, a batch's tables, an index, a stream); and the comparison
the integration suite runs on the calls it recorded (tests/integration/test_zz_iam_recorded.py) fails, and
says why, when a repository uses an operation or index the policy lacks and when the policy grants one
the code never uses. The calls come from the real repository code, on a client that answers nothing.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.transactions import Transaction
from graphql_api.entity import Entity
from graphql_api.errors import Conflict, NotFound
from graphql_api.graphql.registry import ALL_ENTITIES, ALL_TABLES, LISTINGS, SAMPLES, WRITES
from graphql_api.ops.iam_policy import (
    API,
    DATA_FILE,
    MIGRATION_PART,
    PARTS,
    REGENERATE,
    SINGLE_TABLE,
    STREAM_ACTIONS,
    SUBSCRIPTIONS,
    Access,
    Grant,
    compare,
    declared_by,
    grants,
    grants_of_call,
    iam_action,
    load,
    part_of,
    query,
    read_stream,
    render,
    stream_grant,
)
from graphql_api.repositories._access import uses
from graphql_api.repositories._writes import delete_if, put_new
from graphql_api.repositories.orders import ORDERS, Order, OrderStatus
from graphql_api.repositories.products import PRODUCTS

PREFIX = "dev-"
# The DynamoDB actions the service may ever be granted: item and query actions, DescribeTable, streams.
KNOWN_ACTIONS = {
    "dynamodb:GetItem",
    "dynamodb:BatchGetItem",
    "dynamodb:Query",
    "dynamodb:PutItem",
    "dynamodb:UpdateItem",
    "dynamodb:DeleteItem",
    "dynamodb:ConditionCheckItem",
    "dynamodb:DescribeTable",
    "dynamodb:DescribeStream",
    "dynamodb:GetShardIterator",
    "dynamodb:GetRecords",
}


# --- The data file --------------------------------------------------------------------------------


def test_the_data_file_is_up_to_date(terraform_root: Path) -> None:
    committed = (terraform_root / DATA_FILE).read_text(encoding="utf-8")
    assert committed == render(), f"infra_terraform/{DATA_FILE} is stale: run `{REGENERATE}`"


def test_the_rendering_is_stable_and_reads_back() -> None:
    text = render()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True) + "\n"
    assert load(text) == {part: grants(accesses) for part, accesses in PARTS.items()}


def test_an_entry_holds_every_attribute_null_where_absent() -> None:
    entries = json.loads(render({"api": [Access("x", "y", (Grant("dynamodb:Query", "Orders", "StatusIndex"),))]}))
    assert entries == {
        "dynamodb_access": {
            "api": [{"action": "dynamodb:Query", "table": "Orders", "index": "StatusIndex", "stream": False}]
        }
    }


# --- What the declarations grant -------------------------------------------------------------------


def _problems(grant: Grant) -> list[str]:
    tables = {table.name: table for table in (*ALL_TABLES, SINGLE_TABLE.table)}
    problems = []
    if grant.action not in KNOWN_ACTIONS:
        problems.append(f"{grant}: not one of the DynamoDB actions the service may use")
    table = tables.get(grant.table)
    if table is None:
        return [*problems, f"{grant}: {grant.table} is not a declared table"]
    if grant.index is not None and grant.index not in {index.name for index in table.indexes}:
        problems.append(f"{grant}: {grant.table} declares no index {grant.index}")
    if grant.stream and (table.stream is None or grant.action not in STREAM_ACTIONS):
        problems.append(f"{grant}: not a stream action on a table with a stream")
    if not grant.stream and grant.action in STREAM_ACTIONS:
        problems.append(f"{grant}: a stream action on the table itself")
    if grant.index is not None and grant.action != "dynamodb:Query":
        problems.append(f"{grant}: only Query reads an index")
    return problems


@pytest.mark.parametrize("part", sorted(PARTS))
def test_every_grant_is_a_known_action_on_a_declared_table_index_or_stream(part: str) -> None:
    problems = [problem for grant in grants(PARTS[part]) for problem in _problems(grant)]
    assert problems == []


def test_the_requests_read_no_stream_and_the_readers_only_streams_and_the_relays_leases() -> None:
    assert [grant for grant in grants(API) if grant.stream] == []
    assert {grant.table for grant in grants(API)} >= {"LiveLeases"}  # readyz describes it, nothing more
    assert [grant for grant in grants(API) if grant.table == "LiveLeases"] == [
        Grant("dynamodb:DescribeTable", "LiveLeases")
    ]
    table_grants = {grant for grant in grants(SUBSCRIPTIONS) if not grant.stream}
    own = ("LiveLeases", "AuditLog", "Migration")
    assert {grant.action for grant in table_grants if grant.table not in own} == {"dynamodb:DescribeTable"}
    # The relay follows the migration's phase: reads of the Migration table's items, nothing else of it.
    assert {grant for grant in table_grants if grant.table == "Migration"} == {
        Grant("dynamodb:BatchGetItem", "Migration")
    }
    # The audit trail's entries: written by the readers (instances or relay), never deleted by the service.
    assert {grant for grant in table_grants if grant.table == "AuditLog"} == {Grant("dynamodb:PutItem", "AuditLog")}
    assert {grant.action for grant in grants(API) if grant.table == "AuditLog"} == {
        "dynamodb:DescribeTable",  # readyz
        "dynamodb:Query",  # auditLog
    }
    # The relay's leases: conditional item writes and reads on the lease table, no Query, Scan or delete.
    assert {grant for grant in table_grants if grant.table == "LiveLeases"} == {
        Grant("dynamodb:GetItem", "LiveLeases"),
        Grant("dynamodb:PutItem", "LiveLeases"),
        Grant("dynamodb:UpdateItem", "LiveLeases"),
    }


def test_readiness_describes_every_declared_table() -> None:
    (readyz,) = [access for access in API if access.code == "graphql_api.app.readyz"]
    assert {grant.table for grant in readyz.grants} == {entity.table.name for entity in ALL_ENTITIES}


def test_the_stream_readers_follow_the_tables_subscriptions_read() -> None:
    streamed = {grant.table for grant in grants(SUBSCRIPTIONS) if grant.stream}
    # Subscriptions' and the audit trail's, and the single table's from the migration's reads phase on.
    assert streamed == {"Customers", "Orders", "Products", "Reviews", SINGLE_TABLE.table.name}
    with pytest.raises(ValueError, match="declares no stream"):
        read_stream(Entity(Order, "Archive", key=("order_id",)))


def test_the_migration_part_is_the_single_tables_twins_lookups_and_moved_reads() -> None:
    """Derived from the layout and the repository writes: nothing on the old tables, nothing but item and Query
    actions, a Query on every GSI, and each write action the API takes on a table the layout holds (a write of
    RateLimits, which the layout does not hold, gets no twin)."""
    migration = grants(MIGRATION_PART)
    assert {grant.table for grant in migration} == {SINGLE_TABLE.table.name}
    written = {
        action for declared in WRITES for action, entity in declared.actions if entity.table.name != "RateLimits"
    }
    assert {grant.action for grant in migration if grant.action not in ("dynamodb:Query", "dynamodb:GetItem")} == {
        "dynamodb:BatchGetItem",
        *(f"dynamodb:{action}" for action in written - {"GetItem", "BatchGetItem"}),
    }
    assert {grant.index for grant in migration if grant.action == "dynamodb:Query"} == {
        None,
        *(index.name for index in SINGLE_TABLE.table.indexes),
    }
    # At cutover an order (its PK needs its customer and date) is found by its key GSI, a product by its key.
    (lookups,) = [access for access in MIGRATION_PART if access.code.endswith("reads at cutover")]
    assert set(lookups.grants) == {Grant("dynamodb:GetItem", "App"), Grant("dynamodb:Query", "App", "GSI1")}


def test_a_call_on_the_single_table_is_the_migration_parts() -> None:
    (twin,) = grants_of_call("put_item", {"TableName": "dev-App"}, PREFIX)
    (original,) = grants_of_call("put_item", {"TableName": "dev-Orders"}, PREFIX)
    assert (part_of(twin), part_of(original)) == ("migration", "api")


# --- From calls to grants ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "params", "expected"),
    [
        pytest.param("get_item", {"TableName": "dev-Orders"}, [Grant("dynamodb:GetItem", "Orders")], id="item"),
        pytest.param(
            "query",
            {"TableName": "dev-Orders", "IndexName": "StatusIndex"},
            [Grant("dynamodb:Query", "Orders", "StatusIndex")],
            id="index",
        ),
        pytest.param(
            "batch_get_item",
            {"RequestItems": {"dev-Products": {}, "dev-Customers": {}}},
            [Grant("dynamodb:BatchGetItem", "Customers"), Grant("dynamodb:BatchGetItem", "Products")],
            id="batch",
        ),
        pytest.param(
            "transact_write_items",
            {
                "TransactItems": [
                    {"Put": {"TableName": "dev-Reviews"}},
                    {"Update": {"TableName": "dev-Products"}},
                    {"Delete": {"TableName": "dev-ProductReviewers"}},
                    {"ConditionCheck": {"TableName": "dev-Customers"}},
                    {"Update": {"TableName": "dev-Products"}},
                ]
            },
            [
                Grant("dynamodb:ConditionCheckItem", "Customers"),
                Grant("dynamodb:DeleteItem", "ProductReviewers"),
                Grant("dynamodb:PutItem", "Reviews"),
                Grant("dynamodb:UpdateItem", "Products"),
            ],
            id="transaction",
        ),
        pytest.param(
            "DescribeStream",
            {"StreamArn": "arn:aws:dynamodb:us-east-1:123456789012:table/dev-Orders/stream/2024-05-01T00:00:00.000"},
            [Grant("dynamodb:DescribeStream", "Orders", stream=True)],
            id="stream",
        ),
    ],
)
def test_a_call_needs_the_grants_iam_checks(operation: str, params: dict[str, Any], expected: list[Grant]) -> None:
    assert grants_of_call(operation, params, PREFIX) == expected


def test_get_records_is_granted_on_its_readers_stream() -> None:
    arn = "arn:aws:dynamodb:us-east-1:123456789012:table/t1234-Products/stream/2024-05-01T00:00:00.000"
    assert stream_grant("get_records", arn, "t1234-") == Grant("dynamodb:GetRecords", "Products", stream=True)
    with pytest.raises(ValueError, match="not a DynamoDB stream ARN"):
        stream_grant("get_records", "arn:aws:dynamodb:us-east-1:123456789012:table/t1234-Products", "t1234-")


@pytest.mark.parametrize(
    ("operation", "action"),
    [
        ("batch_get_item", "dynamodb:BatchGetItem"),
        ("query", "dynamodb:Query"),
        ("GetShardIterator", "dynamodb:GetShardIterator"),
    ],
)
def test_operation_names_become_iam_actions(operation: str, action: str) -> None:
    assert iam_action(operation) == action


# --- The comparison fails, both ways, and says why ---------------------------------------------------------


class CallLog:
    """A DynamoDB client that answers every call with nothing, and keeps the grants each call needs."""

    def __init__(self) -> None:
        self.grants: list[Grant] = []
        self.dynamo = Dynamo(self._call, PREFIX)

    async def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.grants += grants_of_call(operation, params, PREFIX)
        return {"Items": []}


def _everything_declared_and(extra: list[Grant]) -> list[Grant]:
    return [*grants(API), *extra]


def test_the_declared_access_used_in_full_is_no_drift() -> None:
    drift = compare(grants(API), load(render())["api"])
    assert not drift
    assert drift.report("api") == ""


def test_a_listing_on_an_index_the_policy_lacks_is_reported() -> None:
    """A repository adds a listing on a new index of Orders: the calls need a grant the policy does not have."""
    orders_by_total = Entity(Order, "Orders", key=("order_id",), indexes={"TotalIndex": ("total",)})
    log = CallLog()
    asyncio.run(orders_by_total.listing("TotalIndex").page(log.dynamo, Decimal(10), first=5, after=None, read_budget=1))

    drift = compare(_everything_declared_and(log.grants), load(render())["api"])

    assert drift.missing == (Grant("dynamodb:Query", "Orders", "TotalIndex"),)
    assert drift.unused == ()
    assert "+ dynamodb:Query on Orders/index/TotalIndex" in drift.report("api")


def test_a_new_operation_the_policy_lacks_is_reported() -> None:
    """A repository starts deleting products, in a transaction with a put: DeleteItem on Products is missing."""
    log = CallLog()
    asyncio.run(
        Transaction(log.dynamo)
        .add(
            delete_if(PRODUCTS, PRODUCTS.key("prd_1"), fails_with=NotFound("product")),
            put_new(ORDERS, _an_order(), fails_with=Conflict("order")),
        )
        .commit()
    )

    drift = compare(_everything_declared_and(log.grants), load(render())["api"])

    assert drift.missing == (Grant("dynamodb:DeleteItem", "Products"),)
    report = drift.report("api", {Grant("dynamodb:DeleteItem", "Products"): "tests/integration/test_x.py::test_y"})
    assert "used but not granted" in report
    assert "+ dynamodb:DeleteItem on Products    (first used by tests/integration/test_x.py::test_y)" in report


def test_a_grant_the_code_never_uses_is_reported() -> None:
    """The policy grants a Scan no code makes (or keeps a grant after the code stopped using it)."""
    granted = [*load(render())["api"], Grant("dynamodb:Scan", "Orders")]
    declared = declared_by(API)
    used_without_email_moves = [
        grant for grant in grants(API) if grant != Grant("dynamodb:DeleteItem", "CustomerEmails")
    ]

    drift = compare(used_without_email_moves, granted)

    assert drift.missing == ()
    assert drift.unused == (Grant("dynamodb:DeleteItem", "CustomerEmails"), Grant("dynamodb:Scan", "Orders"))
    report = drift.report("api", declared_where=declared)
    assert "granted but never used" in report
    assert "- dynamodb:Scan on Orders" in report
    assert (
        "- dynamodb:DeleteItem on CustomerEmails    (declared for "
        "repositories.customers.update; repositories.customers.delete)"
    ) in report


def _an_order() -> Order:
    at = datetime(2024, 5, 1, tzinfo=UTC)
    return Order(
        order_id="ord_1",
        customer_id="cus_1",
        status=OrderStatus.PENDING,
        order_date=at,
        total=Decimal("10.00"),
        currency="EUR",
        item_count=1,
        created_at=at,
        updated_at=at,
        version=1,
    )


def test_every_declared_listing_is_a_query_grant_and_nothing_else_is() -> None:
    """The Query grants are the declared listings' (Entity.listing), each on its index or its table."""
    queries = {grant for grant in grants(API) if grant.action == "dynamodb:Query"}
    assert queries == {query(listing) for listing in LISTINGS}
    # Each listing serves an access pattern that check-patterns runs (its module's Roots.samples).
    assert sorted(listing.pattern for listing in LISTINGS) == sorted(SAMPLES)


def test_the_write_grants_are_what_the_repository_functions_declare() -> None:
    """Each repository write's grants come from its own `@uses`, named by its function."""
    by_code = {access.code: set(access.grants) for access in API}
    assert by_code["repositories.customers.create"] == {
        Grant("dynamodb:PutItem", "Customers"),
        Grant("dynamodb:PutItem", "CustomerEmails"),
    }
    assert {declared.code for declared in WRITES} <= set(by_code)


def test_an_undeclared_action_is_refused_where_it_is_declared() -> None:
    with pytest.raises(TypeError, match="Scan"):
        uses("reads everything", Scan=PRODUCTS)
