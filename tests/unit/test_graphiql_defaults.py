"""GraphiQL opens on given defaults (the local default's query and header) without loosening the page's CSP."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from pathlib import Path

import pytest

from graphql_api.http.graphiql import DEFAULTS_ELEMENT_ID, GraphiQLDefaults, GraphiQLPage, graphiql_page, read_defaults

INLINE_SCRIPT = re.compile(r"<script>(.*?)</script>", re.DOTALL)
DEFAULTS_BLOCK = re.compile(rf'<script type="application/json" id="{DEFAULTS_ELEMENT_ID}">(.*?)</script>', re.DOTALL)
ESCAPE_ATTEMPT = '</script><script>alert("owned")</script><!--'


@pytest.fixture
def page(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> GraphiQLPage:
    with caplog.at_level(logging.ERROR):  # no assets in tmp_path: the CDN page, whose hashes are computed alike
        return graphiql_page(tmp_path)


def defaults_in(html: str) -> dict[str, str]:
    [block] = DEFAULTS_BLOCK.findall(html)
    data: dict[str, str] = json.loads(block)
    return data


def sha256_source(script: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() + "'"


def test_the_defaults_are_in_the_page(page: GraphiQLPage) -> None:
    html = page.with_defaults(
        GraphiQLDefaults(
            query="query Me { me { name } }", variables={"first": 20}, headers={"Authorization": "Bearer t"}
        )
    )
    data = defaults_in(html)
    assert data["query"] == "query Me { me { name } }"
    assert json.loads(data["variables"]) == {"first": 20}
    assert json.loads(data["headers"]) == {"Authorization": "Bearer t"}


def test_a_value_cannot_end_the_data_block(page: GraphiQLPage) -> None:
    html = page.with_defaults(GraphiQLDefaults(query=ESCAPE_ATTEMPT, variables={}, headers={"X": ESCAPE_ATTEMPT}))
    # The block adds exactly one "</script" (its own end) and no "<" at all inside it.
    assert html.lower().count("</script") == page.html.lower().count("</script") + 1
    assert "<" not in DEFAULTS_BLOCK.findall(html)[0]
    data = defaults_in(html)
    assert data["query"] == ESCAPE_ATTEMPT
    assert json.loads(data["headers"]) == {"X": ESCAPE_ATTEMPT}


def test_the_inline_script_is_unchanged_so_its_hash_still_matches(page: GraphiQLPage) -> None:
    html = page.with_defaults(GraphiQLDefaults(query="{ me { name } }", variables={}, headers={}))
    scripts = INLINE_SCRIPT.findall(html)
    assert scripts == INLINE_SCRIPT.findall(page.html)
    assert tuple(sha256_source(script) for script in scripts) == page.inline_script_hashes
    # ...and that one script is the one that reads the block.
    [script] = scripts
    assert f'document.getElementById("{DEFAULTS_ELEMENT_ID}")' in script
    assert "PAGE_DEFAULTS.query" in script
    assert "PAGE_DEFAULTS.headers" in script


def test_a_changed_template_is_refused_rather_than_served_without_defaults() -> None:
    with pytest.raises(RuntimeError, match="template changed"):
        read_defaults("<html><script>const other = 1;</script></html>")


def test_a_page_with_a_default_header_opens_on_the_headers_tab(page: GraphiQLPage) -> None:
    # GraphiQL 3 shows the Variables tab whenever variables are non-empty ("{}" is), hiding Ada's header.
    [script] = INLINE_SCRIPT.findall(page.html)
    assert 'defaultEditorToolsVisibility: PAGE_DEFAULTS.headers ? "headers" : true,' in script
    assert "defaultEditorToolsVisibility: true," not in script
