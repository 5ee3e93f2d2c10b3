"""The README's diagram of the model is what `graphql-api erd` prints from the entity declarations."""

from __future__ import annotations

import re

from graphql_api.ops.erd import mermaid
from tests.backends import ROOT


def test_the_readme_embeds_the_current_diagram() -> None:
    readme = (ROOT / "README.md").read_text()
    embedded = re.search(r"```mermaid\n(.*?)```", readme, re.DOTALL)
    assert embedded is not None, "README.md has no mermaid block"
    assert embedded.group(1) == mermaid(), "the README's diagram is stale: paste `graphql-api erd` into it"


def test_the_diagram_shows_keys_indexes_and_the_relationships() -> None:
    diagram = mermaid()
    assert "S OrderId PK" in diagram and "S ItemId SK" in diagram
    assert 'S CustomerId "CustomerIndex HASH"' in diagram
    assert 'Orders ||--|{ OrderItems : "OrderId"' in diagram  # the composite key's hierarchy
    assert 'Customers ||--o{ Orders : "CustomerId"' in diagram  # a foreign key with its GSI
    assert "%% Orders: stream NEW_AND_OLD_IMAGES" in diagram
    assert "Email" not in [line.split(":")[-1].strip(' "') for line in diagram.splitlines() if "||" in line]
