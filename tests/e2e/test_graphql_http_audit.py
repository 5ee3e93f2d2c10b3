"""The public GraphQL-over-HTTP audit suite (npm graphql-http's `auditServer`) against the service under uvicorn."""

from __future__ import annotations

from pathlib import Path

from tests.e2e.conftest import run_node


def test_the_graphql_http_audit_passes_without_a_warning(e2e_tools: Path, live_url: str) -> None:
    results = run_node("audit.mjs", live_url)["results"]
    assert len(results) >= 61  # graphql-http 1.23.1: 61 MUST and SHOULD checks, and MAY checks (notices)
    failing = [f"{r['status']}: {r['name']}: {r.get('reason')}" for r in results if r["status"] != "ok"]
    assert failing == []
