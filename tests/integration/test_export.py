"""`graphql-api export DIR` on both backends: SQL over the Parquet files answers as the API does.

Each backend gets tables of its own (a fresh prefix) with a small demo data set, a product out of stock
and one low, and two attributes the declarations do not have; the tables are exported once (into an
existing empty directory) and queried with DuckDB. The expected answers come from the API (GraphQL)
or from a plain Scan of the tables, never from the export itself.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import duckdb
import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.money import money
from graphql_api.ops.export import EXAMPLE_QUERIES, VIEWS_FILE, ExportError, duckdb_setup, export_tables
from graphql_api.ops.seed import Dataset, demo_dataset, write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.orders import ORDERS
from graphql_api.repositories.products import PRODUCTS
from graphql_api.settings import Settings
from tests.backends import ROOT
from tests.issuer import admin_headers
from tests.support import fresh_settings, run_with_dynamo, snapshot

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

OUT_OF_STOCK, LOW_STOCK = 0, 3

DATA_TABLES = [entity.table for entity in DATA_ENTITIES]  # the service's own tables are not exported


@dataclass
class Exported:
    settings: Settings
    data: Dataset
    directory: Path
    manifest: dict[str, Any]
    client: TestClient

    def sql(self) -> duckdb.DuckDBPyConnection:
        connection = duckdb.connect()
        # The export's own views file: what a user runs (docs/exports.md).
        connection.execute((self.directory / VIEWS_FILE).read_text())
        return connection

    def graphql(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        body = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=admin_headers())
        assert body.status_code == 200, body.text
        answer: dict[str, Any] = body.json()
        assert "errors" not in answer, answer
        data: dict[str, Any] = answer["data"]
        return data


def _dataset() -> Dataset:
    data = demo_dataset(seed=3, customer_count=20, product_count=40, order_count=150, review_count=40)
    data.products[0] = replace(data.products[0], stock=OUT_OF_STOCK)
    data.products[1] = replace(data.products[1], stock=LOW_STOCK)
    return data


@pytest.fixture(scope="module")
def exported(endpoint: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exported]:
    settings = fresh_settings(endpoint)
    data = _dataset()
    directory = tmp_path_factory.mktemp("export")  # exists and is empty: accepted

    async def prepare_and_export(dynamo: Dynamo) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, data)
        # Attributes written by someone else (an older version, a console edit): not declared.
        await put_items(dynamo, PRODUCTS.table, [{**PRODUCTS.to_item(data.products[2]), "LegacyNote": "keep me"}])
        await put_items(dynamo, CUSTOMERS.table, [{**CUSTOMERS.to_item(data.customers[3]), "Nickname": "Al"}])
        await export_tables(dynamo, directory, segments=3)

    run_with_dynamo(settings, prepare_and_export)
    manifest = json.loads((directory / "manifest.json").read_text())
    with TestClient(create_app(settings)) as client:
        yield Exported(settings, data, directory, manifest, client)


# --- SQL answers as the API does -----------------------------------------------------------------------

CUSTOMER_ORDERS = """query($id: ID!, $after: String) { customer(customerId: $id) {
  orders(first: 100, after: $after) { edges { node { total } } pageInfo { hasNextPage endCursor } } } }"""


def _api_order_totals(exported: Exported) -> dict[str, Decimal]:
    totals = {}
    for customer in exported.data.customers:
        total, count, after = Decimal(0), 0, None
        while True:
            orders = exported.graphql(CUSTOMER_ORDERS, {"id": customer.customer_id, "after": after})["customer"][
                "orders"
            ]
            total += sum((Decimal(edge["node"]["total"]) for edge in orders["edges"]), Decimal(0))
            count += len(orders["edges"])
            if not orders["pageInfo"]["hasNextPage"]:
                break
            after = orders["pageInfo"]["endCursor"]
        if count:
            totals[customer.customer_id] = total
    return totals


def _api_stock(exported: Exported) -> dict[str, int]:
    ids = [product.product_id for product in exported.data.products]
    stock = {}
    for start in range(0, len(ids), 100):
        found = exported.graphql(
            "query($ids: [ID!]!) { products(productIds: $ids) { productId stock } }", {"ids": ids[start : start + 100]}
        )["products"]
        stock.update({product["productId"]: product["stock"] for product in found})
    return stock


def test_order_totals_and_stock_in_sql_equal_the_apis(exported: Exported) -> None:
    sql = exported.sql()
    totals = dict(sql.sql("SELECT CustomerId, sum(Total) FROM Orders GROUP BY CustomerId").fetchall())
    assert len(totals) > 10
    assert all(isinstance(total, Decimal) for total in totals.values())
    assert totals == _api_order_totals(exported)

    stock = dict(sql.sql("SELECT ProductId, Stock FROM Products").fetchall())
    assert stock == _api_stock(exported)
    assert sorted(stock.values())[:2] == [OUT_OF_STOCK, LOW_STOCK]


# --- types, values and counts --------------------------------------------------------------------------


def _column_types(sql: duckdb.DuckDBPyConnection, table: str) -> dict[str, str]:
    return {name: kind for name, kind, *_ in sql.sql(f"DESCRIBE {table}").fetchall()}


def test_columns_are_typed_and_named_as_the_attributes(exported: Exported) -> None:
    sql = exported.sql()
    orders = _column_types(sql, "Orders")
    assert list(orders) == [field.attribute for field in ORDERS.mapping.fields]
    assert orders["Total"] == "DECIMAL(18,2)"
    assert orders["OrderDate"] == orders["CreatedAt"] == "TIMESTAMP WITH TIME ZONE"
    assert orders["ItemCount"] == "BIGINT"
    assert orders["Status"] == "VARCHAR"
    customers = _column_types(sql, "Customers")
    assert customers["CreatedAt"] == "TIMESTAMP WITH TIME ZONE"
    assert re.fullmatch(r"STRUCT\(Street VARCHAR, City VARCHAR, .*\)\[\]", customers["Addresses"])

    # The values, exactly: decimals as Decimal, timestamps as the instants written, enums as their value.
    rows = sql.sql("SELECT OrderId, Total, OrderDate, Status FROM Orders").fetchall()
    assert {row[0]: tuple(row[1:]) for row in rows} == {
        order.order_id: (order.total, order.order_date, order.status.value) for order in exported.data.orders
    }
    cities = sql.sql("SELECT CustomerId, Addresses[1].City, len(Addresses), CreatedAt FROM Customers").fetchall()
    assert {row[0]: tuple(row[1:]) for row in cities} == {
        customer.customer_id: (customer.addresses[0].city, len(customer.addresses), customer.created_at)
        for customer in exported.data.customers
    }


def _count(settings: Settings, physical_name: str) -> int:
    async def count(dynamo: Dynamo) -> int:
        params: dict[str, Any] = {"TableName": physical_name, "Select": "COUNT", "ConsistentRead": True}
        total = 0
        while True:
            page = await dynamo.call("scan", **params)
            total += int(page["Count"])
            if "LastEvaluatedKey" not in page:
                return total
            params["ExclusiveStartKey"] = page["LastEvaluatedKey"]

    counted: int = run_with_dynamo(settings, count)
    return counted


def test_rows_per_table_equal_a_count_of_the_table(exported: Exported) -> None:
    sql = exported.sql()
    tables = exported.manifest["tables"]
    assert list(tables) == [table.name for table in DATA_TABLES]
    for table in DATA_TABLES:
        counted = _count(exported.settings, table.physical_name(exported.settings.table_prefix))
        [(exported_rows,)] = sql.sql(f"SELECT count(*) FROM {table.name}").fetchall()
        assert counted > 0
        assert exported_rows == tables[table.name]["rows"] == counted, table.name
        assert tables[table.name]["physical_name"] == f"{exported.settings.table_prefix}{table.name}"
        assert all((exported.directory / file).is_file() for file in tables[table.name]["files"])


def test_the_manifest_says_when_and_what_is_guaranteed(exported: Exported) -> None:
    manifest = exported.manifest
    started = datetime.fromisoformat(manifest["started"])
    assert started.tzinfo is not None
    assert started <= datetime.fromisoformat(manifest["finished"])
    assert "strongly consistent" in manifest["guarantees"]
    assert "point in time" in manifest["guarantees"]
    total = next(column for column in manifest["tables"]["Orders"]["columns"] if column["name"] == "Total")
    assert total == {"name": "Total", "type": "decimal128(18, 2)", "nullable": False}


def test_undeclared_attributes_are_counted_not_exported(exported: Exported) -> None:
    tables = exported.manifest["tables"]
    assert tables["Products"]["undeclared_attributes"] == {"LegacyNote": 1}
    assert tables["Customers"]["undeclared_attributes"] == {"Nickname": 1}
    assert all(
        not table["undeclared_attributes"] for name, table in tables.items() if name not in {"Products", "Customers"}
    )
    assert "LegacyNote" not in _column_types(exported.sql(), "Products")
    kept = exported.data.products[2]
    query = "SELECT Name FROM Products WHERE ProductId = ?"
    assert exported.sql().sql(query, params=[kept.product_id]).fetchall() == [(kept.name,)]


# --- the docs' queries --------------------------------------------------------------------------------


def _expected_answers(settings: Settings) -> dict[str, list[tuple[Any, ...]]]:
    """What each query of docs/exports.md must answer, computed in Python from a plain Scan of the tables."""
    items = snapshot(settings)
    orders = {order["OrderId"]: order for order in items["Orders"]}
    products = {product["ProductId"]: product for product in items["Products"]}
    names = {customer["CustomerId"]: customer["Name"] for customer in items["Customers"]}
    kept = {order_id for order_id, order in orders.items() if order["Status"] != "CANCELLED"}

    revenue: dict[tuple[str, datetime], Decimal] = defaultdict(Decimal)
    for line in items["OrderItems"]:
        if line["OrderId"] in kept:
            placed = datetime.fromisoformat(orders[line["OrderId"]]["OrderDate"]).astimezone(UTC)
            month = placed.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            revenue[(products[line["ProductId"]]["Category"], month)] += money(line["LineTotal"])
    by_month = sorted(revenue.items(), key=lambda entry: (entry[0][1], entry[0][0]))

    spent: dict[str, Decimal] = defaultdict(Decimal)
    placed_orders: Counter[str] = Counter()
    for order_id in kept:
        spent[orders[order_id]["CustomerId"]] += money(orders[order_id]["Total"])
        placed_orders[orders[order_id]["CustomerId"]] += 1
    top = sorted(spent, key=lambda customer: (-spent[customer], customer))[:10]

    waiting_orders: dict[str, set[str]] = defaultdict(set)
    waiting_units: Counter[str] = Counter()
    for line in items["OrderItems"]:
        if orders[line["OrderId"]]["Status"] in ("PENDING", "PAID"):
            waiting_orders[line["ProductId"]].add(line["OrderId"])
            waiting_units[line["ProductId"]] += int(line["Quantity"])
    low = sorted((p for p in products.values() if p["Stock"] < 5), key=lambda p: (p["Stock"], p["ProductId"]))

    return {
        "Revenue per category per month": [(category, month, total) for (category, month), total in by_month],
        "Top customers by revenue": [(c, names[c], placed_orders[c], spent[c]) for c in top],
        "Out of stock or low, with the open orders waiting on them": [
            (p["ProductId"], p["Name"], p["Stock"], len(waiting_orders[p["ProductId"]]), waiting_units[p["ProductId"]])
            for p in low
        ],
    }


def test_the_readme_queries_answer_what_the_tables_hold(exported: Exported) -> None:
    expected = _expected_answers(exported.settings)
    assert set(EXAMPLE_QUERIES) == set(expected)
    sql = exported.sql()
    for title, query in EXAMPLE_QUERIES.items():
        answer = sql.sql(query).fetchall()
        assert answer, title  # each query has something to show on this data
        assert answer == expected[title], title
    stock_outs = sql.sql(EXAMPLE_QUERIES["Out of stock or low, with the open orders waiting on them"]).fetchall()
    assert [row[2] for row in stock_outs] == [OUT_OF_STOCK, LOW_STOCK]
    assert any(row[3] > 0 for row in stock_outs)  # some open order waits on them


# --- the command: refusals, progress, failures ---------------------------------------------------------


def _graphql_api(endpoint: str, prefix: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The installed command, as an operator runs it (stderr is a pipe, not a terminal)."""
    env = {**os.environ, "DYNAMODB_ENDPOINT_URL": endpoint, "TABLE_PREFIX": prefix}
    command = Path(sys.executable).with_name("graphql-api")
    return subprocess.run([str(command), *args], env=env, capture_output=True, text=True, timeout=120)


def _messages(stderr: str) -> list[str]:
    """The log lines' messages: JSON lines (LOG_FORMAT unset, not the local default) or text ones."""
    messages = []
    for line in stderr.splitlines():
        try:
            messages.append(json.loads(line)["message"])
        except (ValueError, KeyError, TypeError):
            messages.append(line)
    return messages


def test_the_command_exports_and_logs_a_line_per_table(exported: Exported, tmp_path: Path) -> None:
    directory = tmp_path / "nested" / "export"
    result = _graphql_api(
        exported.settings.dynamodb_endpoint_url or "", exported.settings.table_prefix, "export", str(directory)
    )
    assert result.returncode == 0, result.stderr
    manifest = json.loads((directory / "manifest.json").read_text())
    assert {name: table["rows"] for name, table in manifest["tables"].items()} == {
        name: table["rows"] for name, table in exported.manifest["tables"].items()
    }
    assert sorted(path.name for path in (tmp_path / "nested").iterdir()) == ["export"]  # no partial left beside

    lines = result.stdout.splitlines()
    assert [line.split(":")[0] for line in lines] == [*(table.name for table in DATA_TABLES), "total"]
    orders = exported.manifest["tables"]["Orders"]["rows"]
    assert f"Orders: {orders} rows, 1 files, " in result.stdout
    assert str(directory) in lines[-1]
    assert "\r" not in result.stderr  # lines, not a bar: stderr is not a terminal
    messages = "\n".join(_messages(result.stderr))
    for table in DATA_TABLES:
        rows = exported.manifest["tables"][table.name]["rows"]
        assert re.search(rf"export: {table.name}: {rows} items in \d+\.\d s", messages), result.stderr


def test_the_command_refuses_a_directory_that_is_not_empty(exported: Exported, tmp_path: Path) -> None:
    directory = tmp_path / "export"
    directory.mkdir()
    (directory / "notes.txt").write_text("mine")
    result = _graphql_api(
        exported.settings.dynamodb_endpoint_url or "", exported.settings.table_prefix, "export", str(directory)
    )
    assert result.returncode == 2
    assert f"export: {directory} is not an empty directory" in "\n".join(_messages(result.stderr))
    assert [(path.name, path.read_text()) for path in directory.iterdir()] == [("notes.txt", "mine")]
    assert [path.name for path in tmp_path.iterdir()] == ["export"]


def _parquet_files(directory: Path) -> list[str]:
    return [str(path.relative_to(directory)) for path in sorted(directory.rglob("*.parquet"))]


def test_an_interrupted_export_leaves_no_directory(
    exported: Exported, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    directory = tmp_path / "export"
    seen_at_failure: list[str] = []

    async def export_until_the_seventh_scan(dynamo: Dynamo) -> None:
        call, scans = dynamo.call, 0

        async def failing(operation: str, **params: Any) -> dict[str, Any]:
            nonlocal scans
            if operation == "scan":
                scans += 1
                if scans == 7:  # two tables written (a page per segment, 3 segments), the third begun
                    seen_at_failure.extend(_parquet_files(tmp_path))
                    raise ConnectionError("the network went away")
            return await call(operation, **params)

        monkeypatch.setattr(dynamo, "call", failing)
        await export_tables(dynamo, directory, segments=3)

    with pytest.raises(ConnectionError):
        run_with_dynamo(exported.settings, export_until_the_seventh_scan)
    assert [re.sub(r"partial-\w+", "partial-X", path) for path in seen_at_failure] == [
        "export.partial-X/CustomerEmails/part-00000.parquet",
        "export.partial-X/Customers/part-00000.parquet",
    ]
    assert not directory.exists()
    assert list(tmp_path.iterdir()) == []


@pytest.fixture(scope="module")
def empty_tables(endpoint: str) -> Settings:
    settings = fresh_settings(endpoint)
    run_with_dynamo(settings, create_tables)
    return settings


def test_empty_tables_export_their_schema(empty_tables: Settings, tmp_path: Path) -> None:
    directory = tmp_path / "export"
    run_with_dynamo(empty_tables, lambda dynamo: export_tables(dynamo, directory))
    sql = duckdb.connect()
    assert (directory / VIEWS_FILE).read_text() == duckdb_setup(str(directory.absolute())) + "\n"
    sql.execute((directory / VIEWS_FILE).read_text())
    for table in DATA_TABLES:
        assert sql.sql(f"SELECT count(*) FROM {table.name}").fetchall() == [(0,)]
    assert _column_types(sql, "Orders")["Total"] == "DECIMAL(18,2)"
    orders = json.loads((directory / "manifest.json").read_text())["tables"]["Orders"]
    assert (orders["rows"], orders["files"]) == (0, ["Orders/part-00000.parquet"])


def test_an_item_the_declaration_cannot_read_stops_the_export(empty_tables: Settings, tmp_path: Path) -> None:
    directory = tmp_path / "export"
    legacy: dict[str, Any] = {
        "OrderId": "ord_legacy",
        "CustomerId": "cus_1",
        "OrderDate": "2024-01-01T00:00:00.000000Z",
    }
    legacy |= {"Total": Decimal("1.50"), "Currency": "EUR", "ItemCount": 1, "Version": 1}
    legacy |= {"CreatedAt": "2024-01-01T00:00:00.000000Z", "UpdatedAt": "2024-01-01T00:00:00.000000Z"}

    async def write_then_export(dynamo: Dynamo) -> None:
        await put_items(dynamo, ORDERS.table, [legacy])  # no Status: written before StatusIndex
        try:
            await export_tables(dynamo, directory)
        finally:
            name = ORDERS.table.physical_name(dynamo.table_prefix)
            await dynamo.call("delete_item", TableName=name, Key={"OrderId": {"S": "ord_legacy"}})

    with pytest.raises(ExportError, match=r"Orders: the item OrderId=ord_legacy does not match .*has no Status"):
        run_with_dynamo(empty_tables, write_then_export)
    assert list(tmp_path.iterdir()) == []


def test_without_pyarrow_the_export_says_what_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    monkeypatch.setitem(sys.modules, "pyarrow.parquet", None)

    async def unused(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError("no call expected")

    with pytest.raises(ExportError, match=re.escape("from the checkout: pip install -e '.[export]'")):
        asyncio.run(export_tables(Dynamo(unused, "x-"), tmp_path / "export"))
    assert list(tmp_path.iterdir()) == []


def test_the_docs_show_the_queries_the_tests_run() -> None:
    page = (ROOT / "docs" / "exports.md").read_text()
    # The views come with the export (views.sql, from the declarations): the page lists no table by hand.
    assert f"export/{VIEWS_FILE}" in page
    assert "CREATE VIEW" not in page
    for title, query in EXAMPLE_QUERIES.items():
        assert query in page, title
