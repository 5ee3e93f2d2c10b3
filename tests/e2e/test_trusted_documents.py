"""Trusted documents as a frontend uses them: graphql-codegen's client preset emits the manifest of the example
operations (e2e/operations), the service trusts it and nothing else, and a Node client sends ids, not documents."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.backends import service_process
from tests.e2e.conftest import run_node
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import shared_issuer
from tests.support import Api


@pytest.fixture(scope="module")
def manifest(e2e_tools: Path) -> Path:
    done = subprocess.run(
        [str(e2e_tools / "node_modules" / ".bin" / "graphql-codegen"), "--config", "codegen.yml", "--silent"],
        cwd=e2e_tools,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return e2e_tools / "generated" / "client" / "persisted-documents.json"


@pytest.fixture(scope="module")
def trusting_url(api: Api, manifest: Path) -> Iterator[str]:
    settings = api.settings.replace(graphql_trusted_documents=str(manifest), graphql_trusted_documents_only=True)
    with service_process(settings, "service-trusted.log") as url:
        yield url


@pytest.fixture(scope="module")
def session(api: Api, trusting_url: str) -> dict[str, Any]:
    token = shared_issuer().token(CANONICAL_SUB)
    return run_node("persisted.mjs", trusting_url, api.data.canonical.customer_id, env={"CUSTOMER_TOKEN": token})


def _orders(answer: dict[str, Any]) -> list[str]:
    return [edge["node"]["orderId"] for edge in answer["body"]["data"]["customer"]["orders"]["edges"]]


def test_a_registered_document_runs_by_its_id_and_by_its_apq_hash(session: dict[str, Any], api: Api) -> None:
    expected = {o.order_id for o in api.data.dataset.orders if o.customer_id == api.data.canonical.customer_id}
    for way in ("byDocumentId", "byApqHash", "getById"):
        answer = session[way]
        assert answer["status"] == 200, (way, answer)
        assert "errors" not in answer["body"], (way, answer)
        assert set(_orders(answer)) == expected, way


def test_anything_else_is_refused_before_execution(session: dict[str, Any]) -> None:
    unknown, raw = session["unknownHash"], session["rawQuery"]
    assert unknown["status"] == 400
    assert "data" not in unknown["body"]
    assert [(e["message"], e["extensions"]["code"]) for e in unknown["body"]["errors"]] == [
        ("PersistedQueryNotFound", "BAD_USER_INPUT")
    ]
    assert raw["status"] == 400
    assert "data" not in raw["body"]
    assert raw["body"]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "only trusted documents" in raw["body"]["errors"][0]["message"]
