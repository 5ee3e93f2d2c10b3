"""GraphiQL in headless Chromium, offline: the page loads, runs the canonical query through `me` with a
customer's Authorization header, and shows its result."""

from __future__ import annotations

import json
from pathlib import Path

from graphql_api.cli import ME_QUERY
from tests.backends import local_default_process
from tests.conftest import Api
from tests.e2e.conftest import ARTIFACTS, E2E, run_node
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import bearer, shared_issuer

SCREENSHOT = ARTIFACTS / "graphiql.png"


def test_graphiql_runs_the_canonical_query_in_a_browser(
    e2e_tools: Path, graphiql_assets: Path, api: Api, live_url: str
) -> None:
    canonical = api.data.canonical
    expected_orders = sorted(
        (order for order in api.data.dataset.orders if order.customer_id == canonical.customer_id),
        key=lambda order: order.order_date,
        reverse=True,
    )
    SCREENSHOT.unlink(missing_ok=True)

    headers = bearer(shared_issuer().token(CANONICAL_SUB))
    report = run_node(
        "graphiql.mjs", live_url, str(E2E / "operations" / "me.graphql"), "{}", json.dumps(headers), str(SCREENSHOT)
    )

    # Offline: nothing was asked of another origin, nothing refused by the page's policy, no script error.
    assert report["externalRequests"] == []
    assert report["failedRequests"] == []
    assert report["cspViolations"] == []
    assert report["pageErrors"] == []
    assert report["consoleErrors"] == []
    assert report["status"] == 200
    # The result pane holds the whole answer; its visible top shows the customer.
    shown = json.loads(report["result"])
    assert "errors" not in shown
    customer = shown["data"]["me"]
    assert customer["name"] == canonical.name
    assert [edge["node"]["orderId"] for edge in customer["orders"]["edges"]] == [o.order_id for o in expected_orders]
    assert all(len(edge["node"]["items"]) == 3 for edge in customer["orders"]["edges"])
    assert f'"name": "{canonical.name}"' in report["visibleResult"].replace("\u00a0", " ")
    assert SCREENSHOT.stat().st_size > 10_000


def test_in_the_local_default_a_person_opens_graphiql_and_presses_run(
    e2e_tools: Path, graphiql_assets: Path, tmp_path: Path
) -> None:
    """`graphql-api serve` as a newcomer runs it: the page opens on the `me` query with Ada's header."""
    screenshot = ARTIFACTS / "graphiql-local-default.png"
    with local_default_process(tmp_path) as local:
        report = run_node("graphiql.mjs", f"{local.url}/graphql", "-", "-", "-", str(screenshot))
    assert report["externalRequests"] == [] and report["cspViolations"] == [] and report["pageErrors"] == []
    assert report["editors"]["query"] == ME_QUERY
    assert json.loads(report["editors"]["headers"])["Authorization"].startswith("Bearer ")
    shown = json.loads(report["result"])
    assert "errors" not in shown, shown
    me = shown["data"]["me"]
    assert (me["name"], me["email"]) == ("Ada Lovelace", "ada@example.com")
    assert len(me["orders"]["edges"]) == 20
