"""Trusted documents at the HTTP boundary: documentId from a manifest, Apollo's automatic persisted queries, and
GRAPHQL_TRUSTED_DOCUMENTS_ONLY refusing everything else (HTTP and WebSocket) before any DynamoDB request."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.settings import Settings, SettingsError
from tests.issuer import admin_headers
from tests.support import Api

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

PRODUCT = "query Product($id: ID!) { product(productId: $id) { productId name stock } }"
OTHER = "query Other { __typename }"


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture
def manifest(tmp_path: Path) -> Path:
    path = tmp_path / "persisted-documents.json"
    path.write_text(json.dumps({f"sha256:{_sha(PRODUCT)}": PRODUCT}))
    return path


@pytest.fixture
def client(api: Api, manifest: Path, request: pytest.FixtureRequest) -> Iterator[TestClient]:
    only: bool = getattr(request, "param", False)
    settings = api.settings.replace(graphql_trusted_documents=str(manifest), graphql_trusted_documents_only=only)
    with TestClient(create_app(settings)) as client:
        yield client


def _post(client: TestClient, body: Any) -> tuple[int, Any, str]:
    response = client.post("/graphql", json=body, headers=admin_headers())
    return response.status_code, response.json(), response.headers["x-dynamodb-requests"]


def _apq(text: str, *, send_query: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(text)}}}
    return {**body, "query": text} if send_query else body


def test_a_registered_document_runs_by_id_with_or_without_the_prefix_and_by_get(client: TestClient, api: Api) -> None:
    product = api.data.dataset.products[0]
    for document_id in (f"sha256:{_sha(PRODUCT)}", _sha(PRODUCT)):
        status, body, _ = _post(client, {"documentId": document_id, "variables": {"id": product.product_id}})
        assert status == 200
        assert body["data"]["product"]["name"] == product.name
    got = client.get(
        "/graphql",
        params={"documentId": _sha(PRODUCT), "variables": json.dumps({"id": product.product_id})},
        headers={**admin_headers(), "accept": "application/json"},
    )
    assert got.status_code == 200
    assert got.json()["data"]["product"]["productId"] == product.product_id


def test_apollo_apq_asks_for_the_document_once_then_runs_by_hash(client: TestClient) -> None:
    status, body, requests = _post(client, _apq(OTHER, send_query=False))
    assert (status, body["errors"][0]["message"], body["errors"][0]["extensions"]["code"], requests) == (
        200,
        "PersistedQueryNotFound",
        "BAD_USER_INPUT",
        "0",
    )
    # Compared without `extensions.cost` (tests/integration/test_answer_cost.py): nothing but the answer matters here.
    assert _post(client, _apq(OTHER, send_query=True))[1]["data"] == {"__typename": "Query"}
    assert _post(client, _apq(OTHER, send_query=False))[1]["data"] == {"__typename": "Query"}


def test_a_hash_that_is_not_the_documents_is_refused_and_not_remembered(client: TestClient) -> None:
    lie = {"query": OTHER + " ", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": _sha(OTHER + "x")}}}
    status, body, _ = _post(client, lie)
    assert status == 200
    assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
    assert "SHA-256" in body["errors"][0]["message"]
    assert _post(client, {"extensions": lie["extensions"]})[1]["errors"][0]["message"] == "PersistedQueryNotFound"
    bad_version = {"extensions": {"persistedQuery": {"version": 2, "sha256Hash": _sha(OTHER)}}}
    assert _post(client, bad_version)[1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


@pytest.mark.parametrize("client", [True], indirect=True)
def test_trusted_only_runs_the_manifest_and_refuses_the_rest_at_no_cost(client: TestClient, api: Api) -> None:
    product = api.data.dataset.products[1]
    status, body, _ = _post(client, {"documentId": _sha(PRODUCT), "variables": {"id": product.product_id}})
    assert status == 200
    assert body["data"]["product"]["productId"] == product.product_id
    # The registered text itself (spacing aside) is trusted too: the parsed documents are compared.
    status, body, _ = _post(
        client, {"query": "  " + PRODUCT.replace(" {", "{"), "variables": {"id": product.product_id}}
    )
    assert status == 200
    assert body["data"]["product"]["productId"] == product.product_id
    for refused in (
        {"query": '{ product(productId: "x") { name } }'},
        _apq(OTHER, send_query=True),  # no registration through APQ
        _apq(OTHER, send_query=False),
        [{"documentId": _sha(PRODUCT), "variables": {"id": "p"}}, {"query": OTHER}],
    ):
        status, body, requests = _post(client, refused)
        answers = body if isinstance(body, list) else [body]
        assert requests == "0", body
        assert status == 200, body
        assert answers[-1]["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
        assert "data" not in answers[-1] or answers[-1]["data"] is None


@pytest.mark.parametrize("client", [True], indirect=True)
def test_trusted_only_refuses_an_untrusted_subscription_over_websocket(client: TestClient) -> None:
    with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init", "payload": admin_headers()})
        assert socket.receive_json()["type"] == "connection_ack"
        socket.send_json(
            {
                "id": "1",
                "type": "subscribe",
                "payload": {"query": 'subscription { orderChanged(orderId: "o") { orderId } }'},
            }
        )
        message = socket.receive_json()
    assert message["type"] == "error"
    assert "only trusted documents" in message["payload"][0]["message"]


def test_trusted_only_without_a_manifest_refuses_to_start(api: Api, tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="GRAPHQL_TRUSTED_DOCUMENTS_ONLY"):
        create_app(api.settings.replace(graphql_trusted_documents_only=True))
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps({"a": "query {"}))
    with pytest.raises(SettingsError, match=r"GRAPHQL_TRUSTED_DOCUMENTS: .* does not parse"):
        create_app(api.settings.replace(graphql_trusted_documents=str(broken)))


def test_the_apq_cache_is_bounded(api: Api, manifest: Path) -> None:
    settings: Settings = api.settings.replace(graphql_trusted_documents=str(manifest), graphql_apq_cache_size=2)
    with TestClient(create_app(settings)) as client:
        texts = [f"query Q{n} {{ __typename }}" for n in range(3)]
        for text in texts:
            _post(client, _apq(text, send_query=True))
        assert _post(client, _apq(texts[0], send_query=False))[1]["errors"][0]["message"] == "PersistedQueryNotFound"
        assert _post(client, _apq(texts[2], send_query=False))[1]["data"] == {"__typename": "Query"}
