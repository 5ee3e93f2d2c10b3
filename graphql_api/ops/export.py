"""`graphql-api export DIR`: the API's tables to Parquet files with typed columns, for SQL (DuckDB, Athena).

Each table becomes a dataset `DIR/<Table>/part-NNNNN.parquet` whose Arrow schema is derived from the
table's entity declaration (graphql_api.entity, graphql_api.repositories): one column per declared
field, named as its stored attribute (`OrderDate`, as DynamoDB's own export and Athena show it), typed
from the field's codec (its `kind`); each item is decoded by the declaration's `from_item`, as the API
does. `DIR/manifest.json` says when, what (rows, files, columns per table, attributes found but not
declared) and what the export guarantees (`GUARANTEES`, below).

What the export guarantees: every row is a committed version of an item, read with a strongly
consistent parallel Scan (graphql_api.ops.table_scan), and decoded as the API decodes it (money to
cents, a missing field with a default as its default). It is not a point-in-time snapshot: each table
is read over the export's duration, so a write made meanwhile may or may not appear, and the items of
one transaction (an order, its lines, the stock it took) may be split across that moment. For a
point-in-time copy, use DynamoDB's native export to S3 (point-in-time recovery is on in
infra_terraform's table module) and Athena, with the same table names and column names. An item that
its declaration cannot read (a required attribute missing, a value of the wrong type) stops the export
with an error naming it: the API could not read that item either (see `graphql-api validate`).

The export is written into a sibling directory `DIR.partial-XXXX` and renamed to DIR once complete: an
export that stops half way (an error, Ctrl-C) removes it and leaves no DIR that looks complete.
"""

from __future__ import annotations

import json
import secrets
import shutil
import time
from collections import Counter
from dataclasses import asdict, dataclass
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.clock import format_timestamp, now
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, deserialize_value
from graphql_api.entity import Codec, Entity, Kind, StoredField
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.money import CENT
from graphql_api.ops.progress import Progress, quiet
from graphql_api.ops.table_scan import DEFAULT_SEGMENTS, WireItem, scan_pages

MONEY_PRECISION = 18
"""Digits of a money column, DECIMAL(18, 2): amounts below 10^16, stored in 8 bytes in Parquet."""
MONEY_SCALE = -int(CENT.as_tuple().exponent)
DECIMAL_PRECISION, DECIMAL_SCALE = 38, 9
"""A Decimal field that is not money: DECIMAL(38, 9), the widest Parquet decimal that Athena and DuckDB
read, split as 29 digits before the point and 9 after. DynamoDB keeps 38 significant digits at any
magnitude, so a value outside that range stops the export (pyarrow refuses to round it)."""
ROW_GROUP_ROWS = 100_000
"""Rows buffered per table before a row group is written: bounds memory (tens of MB) at any table size."""
FILE_ROWS = 1_000_000
"""A table's file is closed once it holds this many rows, and the next one started."""
FORMAT_VERSION = 1
INSTALL_HINT = "pyarrow is not installed; from the checkout: pip install -e '.[export]'"

GUARANTEES = (
    "Every row is a committed version of an item, read with a strongly consistent parallel Scan and decoded "
    "as the API decodes it. Each table is read over the export's duration, not at one point in time: a write "
    "made during the export may or may not appear, and the items of one transaction (an order and its lines, "
    "the stock it took) may be split across that moment. Attributes that the declaration does not have are "
    "left out and counted (undeclared_attributes). For a point-in-time copy, use DynamoDB's export to S3 "
    "(point-in-time recovery) and Athena, with the same table and column names."
)

EXAMPLE_QUERIES: dict[str, str] = {
    "Revenue per category per month": """\
SELECT p.Category,
       date_trunc('month', o.OrderDate) AS OrderMonth,
       sum(i.LineTotal) AS Revenue
FROM Orders o
JOIN OrderItems i ON i.OrderId = o.OrderId
JOIN Products p ON p.ProductId = i.ProductId
WHERE o.Status <> 'CANCELLED'
GROUP BY 1, 2
ORDER BY 2, 1""",
    "Top customers by revenue": """\
SELECT c.CustomerId, c.Name, count(*) AS Orders, sum(o.Total) AS Revenue
FROM Orders o
JOIN Customers c ON c.CustomerId = o.CustomerId
WHERE o.Status <> 'CANCELLED'
GROUP BY 1, 2
ORDER BY Revenue DESC, c.CustomerId
LIMIT 10""",
    "Out of stock or low, with the open orders waiting on them": """\
WITH waiting AS (
  SELECT i.ProductId, count(DISTINCT i.OrderId) AS OpenOrders, sum(i.Quantity) AS Units
  FROM OrderItems i
  JOIN Orders o ON o.OrderId = i.OrderId
  WHERE o.Status IN ('PENDING', 'PAID')
  GROUP BY 1
)
SELECT p.ProductId, p.Name, p.Stock,
       coalesce(w.OpenOrders, 0) AS OpenOrders, coalesce(w.Units, 0) AS UnitsWaiting
FROM Products p
LEFT JOIN waiting w ON w.ProductId = p.ProductId
WHERE p.Stock < 5
ORDER BY p.Stock, p.ProductId""",
}
"""The SQL of docs/exports.md over an export (DuckDB after `duckdb_setup`; Athena too): the tests run this very text."""


VIEWS_FILE = "views.sql"
"""Written into every export: `duckdb_setup` of its own absolute path."""


def duckdb_setup(directory: str) -> str:
    """DuckDB statements that make each table of the export at `directory` a view named as the table."""
    lines = ["SET TimeZone = 'UTC';"]
    lines += [
        f"CREATE VIEW {entity.table.name} AS SELECT * FROM read_parquet('{directory}/{entity.table.name}/*.parquet');"  # noqa: S608 (declared table names and the operator's own folder)
        for entity in DATA_ENTITIES
    ]
    return "\n".join(lines)


class ExportError(Exception):
    """An export that cannot start or finish: DIR not empty, pyarrow missing, a table missing, an item unreadable."""


@dataclass(frozen=True)
class TableExport:
    name: str
    physical_name: str
    rows: int
    files: tuple[str, ...]
    columns: tuple[dict[str, Any], ...]
    undeclared_attributes: dict[str, int]
    seconds: float

    def manifest(self) -> dict[str, Any]:
        """Its entry in the manifest's `tables` (under its name): every field, the time to the millisecond."""
        fields = {name: value for name, value in asdict(self).items() if name != "name"}
        return fields | {"seconds": round(self.seconds, 3)}


@dataclass(frozen=True)
class ExportResult:
    directory: Path
    started: datetime
    finished: datetime
    tables: tuple[TableExport, ...]

    @property
    def rows(self) -> int:
        return sum(table.rows for table in self.tables)

    def lines(self) -> list[str]:
        lines = [
            f"{table.name}: {table.rows} rows, {len(table.files)} files, {_rate(table.rows, table.seconds)}"
            for table in self.tables
        ]
        seconds = (self.finished - self.started).total_seconds()
        lines.append(
            f"total: {self.rows} rows in {len(self.tables)} tables, {seconds:.1f} s, "
            f"{_rate(self.rows, seconds)}, in {self.directory}"
        )
        return lines


def _rate(rows: int, seconds: float) -> str:
    return f"{rows / seconds:,.0f} rows/s" if seconds > 0 else "- rows/s"


async def export_tables(
    dynamo: Dynamo, directory: Path, *, segments: int = DEFAULT_SEGMENTS, progress: Progress = quiet
) -> ExportResult:
    """Write every declared table to Parquet under `directory` (new or empty), with its manifest and its DuckDB
    views (VIEWS_FILE)."""
    _require_pyarrow()
    target, partial = _start(directory)
    started = now()
    try:
        tables = []
        for entity in DATA_ENTITIES:
            tables.append(await _export_table(dynamo, entity, partial, segments=segments, progress=progress))
        result = ExportResult(directory, started, now(), tuple(tables))
        _write_manifest(partial / "manifest.json", dynamo.table_prefix, result)
        # The DuckDB views of every table, from the declarations: `.read DIR/views.sql` from anywhere.
        (partial / VIEWS_FILE).write_text(duckdb_setup(str(target)) + "\n")
        _move_into_place(partial, target)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise
    return result


def _require_pyarrow() -> None:
    try:
        import pyarrow.parquet  # noqa: F401
    except ImportError as error:
        raise ExportError(INSTALL_HINT) from error


def _start(directory: Path) -> tuple[Path, Path]:
    """The export's final directory (new or empty, else refused) and the sibling it is written into meanwhile."""
    if directory.exists() and (not directory.is_dir() or any(directory.iterdir())):
        raise ExportError(f"{directory} is not an empty directory: export writes into a new or empty one")
    target = directory.absolute()
    target.parent.mkdir(parents=True, exist_ok=True)
    while True:  # not tempfile.mkdtemp: its mode 0700 would become DIR's, whatever the umask says
        partial = target.with_name(f"{target.name}.partial-{secrets.token_hex(4)}")
        try:
            partial.mkdir()
            return target, partial
        except FileExistsError:
            continue


def _move_into_place(partial: Path, target: Path) -> None:
    # rename(2) replaces an empty directory atomically and refuses a non-empty one (one filled meanwhile).
    try:
        partial.replace(target)
    except OSError as error:
        raise ExportError(f"{target} is not an empty directory any more: the export is not kept ({error})") from error


def _write_manifest(path: Path, prefix: str, result: ExportResult) -> None:
    manifest = {
        "format": FORMAT_VERSION,
        "started": format_timestamp(result.started),
        "finished": format_timestamp(result.finished),
        "table_prefix": prefix,
        "guarantees": GUARANTEES,
        "tables": {table.name: table.manifest() for table in result.tables},
    }
    path.write_text(json.dumps(manifest, indent=2) + "\n")


async def _export_table(
    dynamo: Dynamo, entity: Entity[Any], directory: Path, *, segments: int, progress: Progress
) -> TableExport:
    table = entity.table
    writer = _TableWriter(entity, directory / table.name)
    started = time.perf_counter()
    try:
        rows = await scan_pages(dynamo, table, writer.consume, segments=segments, progress=progress)
        writer.finish()
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ResourceNotFoundException":
            raise ExportError(
                f"there is no table {table.physical_name(dynamo.table_prefix)} (graphql-api tables create)"
            ) from error
        raise
    finally:
        writer.close()
    return TableExport(
        name=table.name,
        physical_name=table.physical_name(dynamo.table_prefix),
        rows=rows,
        files=writer.files,
        seconds=time.perf_counter() - started,
        columns=tuple({"name": f.name, "type": str(f.type), "nullable": f.nullable} for f in writer.schema),
        undeclared_attributes=dict(sorted(writer.undeclared.items())),
    )


# --- the columns, from the declarations ----------------------------------------------------------------

UNREADABLE = (KeyError, ValueError, TypeError, ArithmeticError)
"""What decoding an item that does not match its declaration raises (a missing attribute, a wrong value)."""
PLAIN: frozenset[Kind] = frozenset({"string", "int", "bool", "decimal", "money", "timestamp"})
"""The kinds whose decoded value is already what Arrow takes (str, int, bool, Decimal, datetime)."""


def arrow_schema(entity: Entity[Any]) -> Any:
    """The Arrow schema of an entity's table (a pyarrow.Schema): a column per declared field, in order."""
    import pyarrow as pa

    return pa.schema([_arrow_field(field) for field in entity.mapping.fields])


def _arrow_field(field: StoredField) -> Any:
    import pyarrow as pa

    codec = field.codec
    if codec.element is not None:
        struct = pa.struct([_arrow_field(inner) for inner in codec.element.fields])
        arrow_type = pa.list_(pa.field("element", struct, nullable=False)) if codec.kind == "list" else struct
    else:
        arrow_type = {
            "string": pa.string(),
            "enum": pa.string(),
            "int": pa.int64(),
            "bool": pa.bool_(),
            "decimal": pa.decimal128(DECIMAL_PRECISION, DECIMAL_SCALE),
            "money": pa.decimal128(MONEY_PRECISION, MONEY_SCALE),
            "timestamp": pa.timestamp("us", tz="UTC"),
        }[codec.kind]
    return pa.field(field.attribute, arrow_type, nullable=codec.optional)


def _cell(codec: Codec, value: Any) -> Any:
    """A decoded field's value as Arrow takes it: an enum as its value, a dataclass as a dict, a tuple as a list."""
    if value is None or codec.kind in PLAIN:
        return value
    if codec.element is None:  # an enum
        return value.value
    if codec.kind == "list":
        return [_struct(codec.element.fields, element) for element in value]
    return _struct(codec.element.fields, value)


def _struct(fields: tuple[StoredField, ...], value: Any) -> dict[str, Any]:
    return {field.attribute: _cell(field.codec, getattr(value, field.name)) for field in fields}


# --- writing -------------------------------------------------------------------------------------------


class _TableWriter:
    """One table's files: pages decoded into record batches as they arrive, written a row group at a time."""

    def __init__(self, entity: Entity[Any], directory: Path) -> None:
        self.entity = entity
        self.table = entity.table
        self.fields = entity.mapping.fields
        self.schema = arrow_schema(entity)
        self.directory = directory
        self.declared = frozenset(field.attribute for field in self.fields)
        self.undeclared: Counter[str] = Counter()
        self.files: tuple[str, ...] = ()
        self._pending: list[Any] = []
        self._pending_rows = 0
        self._writer: Any = None
        self._file_rows = 0
        self._closed = False
        directory.mkdir()

    def consume(self, page: list[WireItem]) -> None:
        # Encoding a row group takes about a microsecond a row, against tens for scanning it: no thread.
        if self._closed:
            raise ExportError(f"{self.table.name}: the export was stopped")
        if not page:
            return
        self._pending.append(self._decode(page))
        self._pending_rows += len(page)
        if self._pending_rows >= ROW_GROUP_ROWS:
            self._write_pending()

    def finish(self) -> None:
        self._write_pending()
        self._close_file()
        if not self.files:  # an empty table still gets its schema, so that SQL over it finds 0 rows
            self._open_file()
            self._close_file()

    def close(self) -> None:
        """After finish (a no-op) or a failure: take no more pages (a failed scan's other segments may still
        deliver some) and close the open file."""
        self._closed = True
        self._close_file()

    def _decode(self, page: list[WireItem]) -> Any:
        """A page as a record batch: each item decoded as the API decodes it, then its fields as columns."""
        import pyarrow as pa

        values = []
        declared = self.declared
        for item in page:
            if not declared.issuperset(item):
                self.undeclared.update(name for name in item if name not in declared)
            try:
                values.append(self.entity.from_item(deserialize_item(item)))
            except UNREADABLE as error:
                raise ExportError(
                    self._unreadable(item, f"does not match its declaration ({self._mismatch(item, error)})")
                ) from error
        arrays = []
        for field, column in zip(self.fields, self.schema, strict=True):
            cells = list(map(attrgetter(field.name), values))
            if field.codec.kind not in PLAIN:
                cells = [_cell(field.codec, cell) for cell in cells]
            try:
                arrays.append(pa.array(cells, type=column.type))
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                raise ExportError(self._misfit(page, column, cells, error)) from error
        return pa.RecordBatch.from_arrays(arrays, schema=self.schema)

    def _mismatch(self, item: WireItem, error: Exception) -> str:
        """What from_item said, with the attribute it is about when it does not name it (a value it cannot read)."""
        problem = error.args[0] if isinstance(error, KeyError) else f"{type(error).__name__}: {error}"
        for field in self.fields:
            try:
                stored = deserialize_value(item[field.attribute]) if field.attribute in item else None
                if stored is not None:  # as from_item: a NULL is a missing attribute
                    field.codec.load(stored)
            except UNREADABLE:
                return f"{field.attribute} = {str(item[field.attribute])[:100]}: {problem}"
        return problem

    def _misfit(self, page: list[WireItem], column: Any, cells: list[Any], error: Exception) -> str:
        """Which item has a value that its column's Arrow type cannot hold (a Decimal out of its range)."""
        import pyarrow as pa

        for item, cell in zip(page, cells, strict=True):
            try:
                pa.array([cell], type=column.type)
            except (pa.ArrowInvalid, pa.ArrowTypeError):
                return self._unreadable(item, f"has {column.name} = {str(cell)[:100]}, which is not a {column.type}")
        return f"{self.table.name}: a value does not fit its column {column.name}: {error}"

    def _unreadable(self, item: WireItem, problem: str) -> str:
        key = ", ".join(f"{name}={next(iter(item[name].values()))}" for name in self.table.key_names if name in item)
        return (
            f"{self.table.name}: the item {key} {problem}, so the export cannot write it; "
            "fix the item (graphql-api validate, backfill) and export again"
        )

    def _write_pending(self) -> None:
        if not self._pending:
            return
        import pyarrow as pa

        rows = pa.Table.from_batches(self._pending, schema=self.schema)
        self._pending, self._pending_rows = [], 0
        writer = self._writer if self._writer is not None else self._open_file()
        writer.write_table(rows, row_group_size=ROW_GROUP_ROWS)
        self._file_rows += rows.num_rows
        if self._file_rows >= FILE_ROWS:
            self._close_file()

    def _close_file(self) -> None:
        if self._writer is not None:
            self._writer.close()
            self._writer = None

    def _open_file(self) -> Any:
        import pyarrow.parquet as pq

        name = f"part-{len(self.files):05d}.parquet"
        self._writer = pq.ParquetWriter(self.directory / name, self.schema)
        self._file_rows = 0
        self.files = (*self.files, f"{self.directory.name}/{name}")
        return self._writer
