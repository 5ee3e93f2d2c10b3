"""Relay, the strictest client, accepts the schema (issue 22, SPEC 4): its compiler (npm `relay-compiler`) compiles a
fragment with `@connection` (Cursor Connections: pageInfo's startCursor and hasPreviousPage) and `@refetchable`
(Global Object Identification: Node and node(id:)) against schema.graphql, and the operations it generates run."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.backends import machine_lock
from tests.support import Api

_TEXT = re.compile(r'"text": ("(?:[^"\\]|\\.)*")')


@pytest.fixture(scope="module")
def relay_artifacts(e2e_tools: Path) -> Path:
    """The Relay compiler's output for e2e/relay/src (written afresh: a stale artifact proves nothing)."""
    relay = e2e_tools / "relay"
    generated = relay / "__generated__"
    with machine_lock("relay-compiler"):
        shutil.rmtree(generated, ignore_errors=True)
        generated.mkdir()
        done = subprocess.run(
            [str(e2e_tools / "node_modules" / ".bin" / "relay-compiler")],
            cwd=relay,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 0, done.stdout + done.stderr
    return generated


def operation_text(artifacts: Path, name: str) -> str:
    """The GraphQL text of a generated operation, as Relay's network layer sends it."""
    found = _TEXT.search((artifacts / f"{name}.graphql.ts").read_text())
    assert found is not None, name
    text: str = json.loads(found.group(1))
    return text


def test_relay_compiles_a_connection_in_a_refetchable_fragment(relay_artifacts: Path) -> None:
    names = sorted(path.name for path in relay_artifacts.iterdir())
    assert names == [
        "CustomerOrdersQuery.graphql.ts",
        "CustomerOrdersRefetchQuery.graphql.ts",
        "CustomerOrders_customer.graphql.ts",
    ]
    refetch = operation_text(relay_artifacts, "CustomerOrdersRefetchQuery")
    assert "node(id: $id)" in refetch
    assert "pageInfo" in refetch


def test_the_operations_relay_generates_run_against_the_api(relay_artifacts: Path, api: Api) -> None:
    first = api.data_of(
        operation_text(relay_artifacts, "CustomerOrdersQuery"), {"customerId": api.data.canonical.customer_id}
    )["customer"]
    assert len(first["orders"]["edges"]) == 10
    assert first["orders"]["pageInfo"]["hasNextPage"] is True
    # What Relay sends for loadNext: the fragment refetched through node(id:) from the page's endCursor.
    refetched = api.data_of(
        operation_text(relay_artifacts, "CustomerOrdersRefetchQuery"),
        {"id": first["id"], "count": 10, "cursor": first["orders"]["pageInfo"]["endCursor"]},
    )["node"]
    assert refetched["__typename"] == "Customer"
    assert refetched["id"] == first["id"]
    seen = [edge["node"]["orderId"] for page in (first, refetched) for edge in page["orders"]["edges"]]
    assert len(seen) == len(set(seen)) == 20
    assert refetched["orders"]["pageInfo"]["hasNextPage"] is False
