"""The site's generated pages (docs/reference/) are what `graphql-api docs` makes from the code today."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphql_api.cli import _parser
from graphql_api.graphql.registry import ALL_ENTITIES
from graphql_api.ops import docs_pages
from graphql_api.settings import Settings
from tests.backends import ROOT

DOCS = ROOT / "docs"


def test_no_generated_page_is_stale() -> None:
    assert docs_pages.stale_pages(DOCS, _parser()) == [], "run `graphql-api docs` and commit docs/reference/"


def test_a_changed_declaration_makes_its_page_stale(tmp_path: Path) -> None:
    docs_pages.write_pages(tmp_path, _parser())
    assert docs_pages.stale_pages(tmp_path, _parser()) == []
    page = tmp_path / docs_pages.ENTITIES / "orders.md"
    page.write_text(page.read_text().replace("StatusIndex", "StateIndex"))
    (tmp_path / docs_pages.ENTITIES / "gone.md").write_text("# An entity removed since\n")
    assert docs_pages.stale_pages(tmp_path, _parser()) == ["reference/entities/orders.md", "reference/entities/gone.md"]


def test_the_filtering_pages_table_is_generated_between_its_markers(tmp_path: Path) -> None:
    """The page is written by hand around a table the declarations make: a stale table is reported, rewritten."""
    page = tmp_path / docs_pages.FILTERING
    page.write_text(f"# Filtering\n\nRules.\n\n{docs_pages.TABLE_START}| old |\n{docs_pages.TABLE_END}\nMore.\n")
    docs_pages.write_pages(tmp_path, _parser())
    text = page.read_text()
    assert text.startswith("# Filtering\n\nRules.\n\n")
    assert text.endswith("\nMore.\n")
    assert "| `OrderFilter` | `StatusIndex` (AP7) | `status`: eq, in (at most 25) |" in text
    assert "| old |" not in text
    page.write_text(text.replace("`StatusIndex`", "`StateIndex`"))
    assert docs_pages.stale_pages(tmp_path, _parser()) == [str(docs_pages.FILTERING)]
    page.write_text("# Filtering\n")
    with pytest.raises(ValueError, match="lost its generated table's markers"):
        docs_pages.stale_pages(tmp_path, _parser())


def test_every_setting_has_its_variable_and_a_meaning() -> None:
    page = docs_pages.settings_page()
    for name in Settings.model_fields:
        if name not in docs_pages.DERIVED_SETTINGS:
            assert f"| `{name.upper()}` |" in page
    assert "(undocumented" not in page
    assert "| `GRAPHQL_MAX_DEPTH` | `10` | maximum query depth |" in page


def test_an_entity_page_follows_the_entity_file_template() -> None:
    pages = docs_pages.pages(_parser())
    assert len(pages) == len(ALL_ENTITIES) + 6, (
        f"one page per entity ({len(ALL_ENTITIES)}) and 6 more: {sorted(map(str, pages))}"
    )
    page = docs_pages.entity_page(next(entity for entity in ALL_ENTITIES if entity.table.name == "Orders"))
    headings = [line for line in page.splitlines() if line.startswith("## ")]
    assert headings == [
        "## Primary key",
        "## Global secondary indexes",
        "## Ids, unique fields, time to live",
        "## Stream",
        "## Implemented access patterns",
        "## Attributes",
        "## Relationships",
    ]
    assert "### StatusIndex" in page
    assert "- **Access pattern**: AP7 Orders by status" in page
    assert "[OrderItems](order-items.md) refers to this table by `OrderId`" in page
    assert "- **Ids**: `order_id` is `ord_` and 32 lowercase hex digits, random" in page
    assert (
        "`CustomerId` refers to [Customers](customers.md) (one-to-many: one Customers item; `validate` checks" in page
    )


def test_an_entity_page_shows_its_unique_fields_and_time_to_live() -> None:
    page = docs_pages.entity_page(next(entity for entity in ALL_ENTITIES if entity.table.name == "Customers"))
    assert "- **Unique**: `Email` (an email, lower-cased, is one customer's): a guard item in [CustomerEmails]" in page
    assert "- **Time to live**: none (items never expire)" in page


def test_the_cli_page_has_every_command() -> None:
    page = docs_pages.cli_page(_parser())
    for command in ("serve", "token", "tables create", "tables verify", "backfill", "docs", "package lambda"):
        assert f"## `graphql-api {command}`" in page


def test_the_errors_page_has_every_code() -> None:
    page = docs_pages.errors_page()
    for code in ("BAD_USER_INPUT", "QUERY_TOO_COMPLEX", "INTERNAL_SERVER_ERROR", "FORBIDDEN"):
        assert f"| `{code}` |" in page
