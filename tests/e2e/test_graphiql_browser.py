"""GraphiQL in headless Chromium, offline: the page loads, runs the canonical query through `me` with a
customer's Authorization header, and shows its result."""

from __future__ import annotations

import json
from pathlib import Path

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
