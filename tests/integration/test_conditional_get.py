"""A CDN can answer the public catalog: GETs of public trusted documents carry a strong ETag and PUBLIC_CACHE_CONTROL,
If-None-Match gets a 304 without any DynamoDB request while nothing changed, a write (here or on another instance)
makes the next one a 200 with the new bytes, and anything private is `private, no-store` and never a 304."""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.settings import Settings
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.support import Api

PRODUCT = "query Product($id: ID!) { product(productId: $id) { productId name price averageRating reviewCount } }"
CUSTOMER = "query Customer($id: ID!) { customer(customerId: $id) { customerId name email } }"
ME = "query Me { me { name email } }"
CREATE = "mutation C($input: CreateProductInput!) { createProduct(input: $input) { productId version } }"
UPDATE = "mutation U($input: UpdateProductInput!) { updateProduct(input: $input) { productId version } }"
DEADLINE = 60.0  # the machine is shared: a stream reader may take long to catch up


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@pytest.fixture(scope="module")
def settings(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    manifest = tmp_path_factory.mktemp("documents") / "persisted-documents.json"
    manifest.write_text(json.dumps({f"sha256:{_sha(text)}": text for text in (PRODUCT, CUSTOMER, ME)}))
    return api.settings.replace(graphql_trusted_documents=str(Path(manifest)))


@pytest.fixture(scope="module")
def client(settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(settings)) as client:
        yield client


@pytest.fixture(scope="module")
def other_instance(settings: Settings) -> Iterator[TestClient]:
    """A second instance on the same tables: it knows of the first one's writes only through the streams."""
    with TestClient(create_app(settings)) as client:
        yield client


def _get(client: TestClient, text: str, variables: dict[str, Any], **headers: str) -> httpx2.Response:
    params = {"documentId": _sha(text), "variables": json.dumps(variables)}
    return client.get("/graphql", params=params, headers={"accept": "application/json", **headers})


def _requests(response: httpx2.Response) -> int:
    return int(response.headers["x-dynamodb-requests"])


def _new_product(client: TestClient) -> tuple[str, int]:
    product = {"name": f"Lamp {uuid.uuid4().hex[:6]}", "category": "lamps", "price": "19.90", "currency": "EUR"}
    body = client.post(
        "/graphql", json={"query": CREATE, "variables": {"input": {**product, "stock": 5}}}, headers=admin_headers()
    ).json()
    created = body["data"]["createProduct"]
    return created["productId"], created["version"]


def _rename(client: TestClient, product_id: str, version: int, name: str) -> None:
    variables = {"input": {"productId": product_id, "expectedVersion": version, "name": name}}
    body = client.post("/graphql", json={"query": UPDATE, "variables": variables}, headers=admin_headers()).json()
    assert "errors" not in body, body


def _cached(client: TestClient, product_id: str) -> str:
    """The product's ETag, once this instance answers If-None-Match with a 304 that costs no DynamoDB request."""
    deadline = time.monotonic() + DEADLINE
    while True:
        first = _get(client, PRODUCT, {"id": product_id})
        etag = first.headers["etag"]
        again = _get(client, PRODUCT, {"id": product_id}, **{"if-none-match": etag})
        if again.status_code == 304 and _requests(again) == 0:
            return etag
        assert again.status_code == 304  # the same bytes: a 304 even when it had to run
        assert time.monotonic() < deadline, "the catalog version never became current (stream readers)"
        time.sleep(0.1)


def test_a_public_document_carries_a_strong_etag_and_the_public_cache_control(
    client: TestClient, settings: Settings
) -> None:
    product_id, _ = _new_product(client)
    response = _get(client, PRODUCT, {"id": product_id})
    assert response.status_code == 200
    assert response.json()["data"]["product"]["productId"] == product_id
    assert response.headers["cache-control"] == settings.public_cache_control
    assert response.headers["etag"].startswith('"')
    assert not response.headers["etag"].startswith("W/")


def test_if_none_match_is_a_304_without_dynamodb_until_a_write_here_changes_the_answer(client: TestClient) -> None:
    product_id, version = _new_product(client)
    etag = _cached(client, product_id)
    _rename(client, product_id, version, "Renamed here")
    # No waiting: the write's answer was sent after this instance's catalog version moved.
    after = _get(client, PRODUCT, {"id": product_id}, **{"if-none-match": etag})
    assert after.status_code == 200
    assert after.json()["data"]["product"]["name"] == "Renamed here"
    assert after.headers["etag"] != etag


def test_a_write_on_another_instance_ends_the_304s_once_the_stream_carries_it(
    client: TestClient, other_instance: TestClient
) -> None:
    product_id, version = _new_product(client)
    etag = _cached(client, product_id)
    _rename(other_instance, product_id, version, "Renamed elsewhere")
    deadline = time.monotonic() + DEADLINE
    while (after := _get(client, PRODUCT, {"id": product_id}, **{"if-none-match": etag})).status_code == 304:
        assert time.monotonic() < deadline, "another instance's write never reached this one's catalog version"
        time.sleep(0.1)
    assert after.status_code == 200
    assert after.json()["data"]["product"]["name"] == "Renamed elsewhere"
    assert after.headers["etag"] != etag


def test_private_answers_are_private_no_store_and_never_304(client: TestClient, api: Api) -> None:
    product_id, _ = _new_product(client)
    etag = _cached(client, product_id)
    customer = api.data.dataset.customers[0]
    token = bearer(shared_issuer().token(f"someone-{uuid.uuid4().hex[:6]}", ()))
    admin = admin_headers()
    private = [
        _get(client, PRODUCT, {"id": product_id}, **admin, **{"if-none-match": etag}),  # a token: never shared
        _get(client, ME, {}, **token, **{"if-none-match": "*"}),
        _get(client, CUSTOMER, {"id": customer.customer_id}, **admin, **{"if-none-match": "*"}),
        _get(client, CUSTOMER, {"id": customer.customer_id}, **{"if-none-match": "*"}),  # anonymous: an error
    ]
    for response in private:
        assert response.status_code == 200, response.text
        assert response.headers["cache-control"] == "private, no-store"
        assert "etag" not in response.headers
    assert private[0].json()["data"]["product"]["productId"] == product_id
    assert private[2].json()["data"]["customer"]["email"] == customer.email


def test_post_is_never_cached(client: TestClient) -> None:
    product_id, _ = _new_product(client)
    etag = _cached(client, product_id)
    body = {"documentId": _sha(PRODUCT), "variables": {"id": product_id}}
    response = client.post("/graphql", json=body, headers={"if-none-match": etag})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "no-store"
    assert "etag" not in response.headers
    with_token = client.post("/graphql", json=body, headers={**admin_headers(), "if-none-match": etag})
    assert with_token.headers["cache-control"] == "private, no-store"
    assert "etag" not in with_token.headers
