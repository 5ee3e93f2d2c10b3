"""The site's diagram of the model (docs/reference/erd.md) is what `graphql-api erd` prints from the declarations."""

from __future__ import annotations

import re

from graphql_api.ops.erd import mermaid
from tests.backends import ROOT


def test_the_site_embeds_the_current_diagram() -> None:
    page = (ROOT / "docs" / "reference" / "erd.md").read_text()
    embedded = re.search(r"```mermaid\n(.*?)```", page, re.DOTALL)
    assert embedded is not None, "docs/reference/erd.md has no mermaid block"
    assert embedded.group(1) == mermaid(), "the site's diagram is stale: run `graphql-api docs`"


def test_the_diagram_shows_keys_indexes_and_the_relationships() -> None:
    diagram = mermaid()
    assert "S OrderId PK" in diagram
    assert "S ItemId SK" in diagram
    assert 'S CustomerId "CustomerIndex HASH"' in diagram
    assert 'Orders ||--|{ OrderItems : "OrderId"' in diagram  # the composite key's hierarchy
    assert 'Customers ||--o{ Orders : "CustomerId"' in diagram  # a foreign key with its GSI
    assert "%% Orders: stream NEW_AND_OLD_IMAGES" in diagram
    assert "Email" not in [line.split(":")[-1].strip(' "') for line in diagram.splitlines() if "||" in line]
