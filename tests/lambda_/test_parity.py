"""The deployment zip, unpacked alone, answers as `serve` does: every request of the table below is sent to the
service under uvicorn and, as an API Gateway HTTP API event and as a function URL event, to the handler in a
fresh Python process that sees only the unpacked folder and the standard library. Each side has its own copy
of the test data in DynamoDB Local, so the mutations meet the same state everywhere.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

import httpx
import pytest

from graphql_api import compiled_texts
from graphql_api.http.graphiql import read_defaults, template, template_assets
from graphql_api.repositories.orders import OrderStatus
from graphql_api.settings import Settings
from tests.backends import ROOT
from tests.fixtures_data import CANONICAL_SUB
from tests.issuer import ADMIN, STAFF, SigningKey, bearer, shared_issuer
from tests.lambda_.conftest import CORS_ORIGIN, MAX_BODY_BYTES, BuiltZip, parity_settings, seeded
from tests.lambda_.harness import (
    EVENT_KINDS,
    HttpAnswer,
    HttpRequest,
    LambdaRun,
    answer_of_event,
    as_event,
    comparable,
    invoke_unpacked,
    send_to_serve,
    settings_environment,
)
from tests.operations import CANCEL_ORDER, CANONICAL, CREATE_CUSTOMER, CUSTOMER, UPDATE_CUSTOMER, UPDATE_ORDER_STATUS

if TYPE_CHECKING:
    from tests.fixtures_data import TestData

ARTIFACTS = ROOT / "test-artifacts"

PRODUCTS = "query Products($ids: [ID!]!) { products(productIds: $ids) { productId name price currency stock } }"
BY_CATEGORY = """query ByCategory($category: String!, $after: String) {
  productsByCategory(category: $category, first: 5, after: $after) {
    edges { cursor node { productId name price } } pageInfo { hasNextPage endCursor } } }"""
ME = "query Me { me { name email orders(first: 5) { edges { cursor node { orderId status total } } pageInfo { hasNextPage endCursor } } } }"
ORDERS_BY_STATUS = "{ ordersByStatus(status: PAID, first: 3) { edges { node { orderId } } } }"
PLACE_ORDER = """mutation Place($input: PlaceOrderInput!) { placeOrder(input: $input) {
  customerId status total currency itemCount version items { productId quantity unitPrice lineTotal } } }"""
CREATE_PRODUCT = """mutation NewProduct($input: CreateProductInput!) { createProduct(input: $input) {
  name description category price currency stock version } }"""


def nested_orders(levels: int) -> str:
    """An order, its customer's orders, their customer's orders...: depth 4 per level."""
    selection = "orderId"
    for _ in range(levels):
        selection = f"customer {{ orders(first: 1) {{ edges {{ node {{ {selection} }} }} }} }}"
    return f'{{ order(orderId: "ord_0") {{ {selection} }} }}'


TOO_DEEP = nested_orders(3)
TOO_MANY_ALIASES = "{ " + " ".join(f"a{n}: __typename" for n in range(31)) + " }"
TOO_LONG = "# " + "x" * 21_000 + "\n{ __typename }"


@dataclass(frozen=True)
class Callers:
    """Who sends the requests (as Authorization headers) and the data they name, from the test data."""

    admin: dict[str, str]
    staff: dict[str, str]
    customer: dict[str, str]
    """Bound to the canonical customer."""
    newcomer: dict[str, str]
    """A valid token whose identity has no customer yet."""
    expired: dict[str, str]
    foreign_key: dict[str, str]
    """Signed by a key the issuer never published, under the kid of one it did."""
    canonical_id: str
    loner_id: str
    loner_version: int
    product_ids: list[str]
    category: str
    paid_orders: list[tuple[str, int]]
    """The canonical customer's orders: (orderId, version)."""
    asset: str
    """A file GraphiQL's page loads from the service (404 on both sides when the page uses the CDN)."""

    @staticmethod
    def of(data: TestData) -> Callers:
        issuer = shared_issuer()
        canonical = data.canonical
        orders = [order for order in data.dataset.orders if order.customer_id == canonical.customer_id]
        paid = [(order.order_id, order.version) for order in orders if order.status == OrderStatus.PAID]
        own_products = [product for product in data.dataset.products if product.category == "canonical"]
        return Callers(
            admin=bearer(issuer.token(*ADMIN)),
            staff=bearer(issuer.token(*STAFF)),
            customer=bearer(issuer.token(CANONICAL_SUB)),
            newcomer=bearer(issuer.token("lambda-newcomer")),
            expired=bearer(issuer.token(CANONICAL_SUB, lifetime=-3600)),
            foreign_key=bearer(issuer.token(CANONICAL_SUB, key=SigningKey.rsa(issuer.keys[0].kid))),
            canonical_id=canonical.customer_id,
            loner_id=data.loner.customer_id,
            loner_version=data.loner.version,
            product_ids=[product.product_id for product in own_products[:3]],
            category="canonical",
            paid_orders=paid[:2],
            asset=template_assets(read_defaults(template()))[0].name,
        )


def graphql(
    query: str, variables: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **extra: Any
) -> HttpRequest:
    body = json.dumps({"query": query, "variables": variables or {}, **extra}).encode()
    return raw("POST", body, {"content-type": "application/json", **(headers or {})})


def raw(method: str, body: bytes = b"", headers: dict[str, str] | None = None) -> HttpRequest:
    return HttpRequest(method, "/graphql", headers={"accept": "application/json", **(headers or {})}, body=body)


def get(path: str, query: dict[str, str] | None = None, accept: str = "application/json") -> HttpRequest:
    return HttpRequest("GET", path, urlencode(query or {}), {"accept": accept})


def preflight(origin: str) -> HttpRequest:
    return HttpRequest(
        "OPTIONS",
        "/graphql",
        headers={
            "origin": origin,
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type",
        },
    )


# The table: name -> the request, in the order sent (mutations change the state that later requests read).
# The first is the cold start's request: a signed-in canonical query (JWKS fetch, schema, 4 DynamoDB requests).
REQUESTS: dict[str, Callable[[Callers], HttpRequest]] = {
    "canonical-query-as-admin": lambda c: graphql(CANONICAL, {"id": c.canonical_id}, c.admin),
    "products-anonymous": lambda c: graphql(PRODUCTS, {"ids": c.product_ids}),
    "products-without-request-id": lambda c: graphql(PRODUCTS, {"ids": c.product_ids[:1]}),
    "me-as-customer": lambda c: graphql(ME, headers=c.customer),
    "category-page": lambda c: graphql(BY_CATEGORY, {"category": c.category}, c.customer),
    "query-by-get": lambda c: get("/graphql", {"query": f'{{ product(productId: "{c.product_ids[0]}") {{ name }} }}'}),
    "batch-of-two": lambda c: raw(
        "POST",
        json.dumps([{"query": PRODUCTS, "variables": {"ids": c.product_ids}}, {"query": ME}]).encode(),
        {"content-type": "application/json", **c.customer},
    ),
    "operation-name": lambda c: graphql(
        f"{PRODUCTS} query Other {{ __typename }}", {"ids": c.product_ids}, operationName="Products"
    ),
    "forbidden-for-customer": lambda c: graphql(ORDERS_BY_STATUS, headers=c.customer),
    "unauthenticated-anonymous": lambda c: graphql(f'{{ customer(customerId: "{c.canonical_id}") {{ name }} }}'),
    "update-customer": lambda c: graphql(
        UPDATE_CUSTOMER,
        {"input": {"customerId": c.loner_id, "expectedVersion": c.loner_version, "name": "Lone Lambda"}},
        c.admin,
    ),
    "update-customer-stale-version": lambda c: graphql(
        UPDATE_CUSTOMER,
        {"input": {"customerId": c.loner_id, "expectedVersion": c.loner_version, "name": "Stale"}},
        c.admin,
    ),
    "create-own-customer": lambda c: graphql(
        CREATE_CUSTOMER, {"input": {"email": "newcomer@example.com", "name": "New Comer"}}, c.newcomer
    ),
    "create-own-customer-again": lambda c: graphql(
        CREATE_CUSTOMER, {"input": {"email": "newcomer2@example.com", "name": "New Comer"}}, c.newcomer
    ),
    "update-order-status": lambda c: graphql(
        UPDATE_ORDER_STATUS,
        {"input": {"orderId": c.paid_orders[0][0], "status": "SHIPPED", "expectedVersion": c.paid_orders[0][1]}},
        c.staff,
    ),
    "cancel-own-order": lambda c: graphql(
        CANCEL_ORDER, {"id": c.paid_orders[1][0], "v": c.paid_orders[1][1]}, c.customer
    ),
    "place-own-order": lambda c: graphql(
        PLACE_ORDER, {"input": {"items": [{"productId": c.product_ids[0], "quantity": 2}]}}, c.customer
    ),
    "create-product": lambda c: graphql(
        CREATE_PRODUCT,
        {"input": {"name": "Lambda Lamp", "category": "lamps", "price": "19.90", "currency": "EUR", "stock": 3}},
        c.staff,
    ),
    "read-after-writes": lambda c: graphql(
        f"query($id: ID!) {{ customer(customerId: $id) {{ {CUSTOMER} }} }}", {"id": c.loner_id}, c.admin
    ),
    "bad-json": lambda c: raw("POST", b'{"query": "{ __typename }"', {"content-type": "application/json"}),
    "json-not-an-object": lambda c: raw("POST", b"42", {"content-type": "application/json"}),
    "octet-stream-body": lambda c: raw(
        "POST", b'{"query": "{ __typename }"}', {"content-type": "application/octet-stream"}
    ),
    "syntax-error": lambda c: graphql("{ products(productIds: [ }"),
    "unknown-field": lambda c: graphql("{ nothingHere }"),
    "invalid-token-garbage": lambda c: graphql("{ __typename }", headers={"authorization": "Bearer not.a.jwt"}),
    "invalid-token-expired": lambda c: graphql("{ __typename }", headers=c.expired),
    "invalid-token-foreign-key": lambda c: graphql("{ __typename }", headers=c.foreign_key),
    "invalid-scheme-basic": lambda c: graphql("{ __typename }", headers={"authorization": "Basic dXNlcjpwYXNz"}),
    "cors-preflight-allowed": lambda c: preflight(CORS_ORIGIN),
    "cors-preflight-refused": lambda c: preflight("https://elsewhere.example"),
    "cors-post-allowed": lambda c: graphql(PRODUCTS, {"ids": c.product_ids[:1]}, {"origin": CORS_ORIGIN}),
    "graphiql-page": lambda c: get("/graphql", accept="text/html,application/xhtml+xml,*/*;q=0.8"),
    "graphiql-asset": lambda c: get(f"/graphiql/assets/{c.asset}", accept="*/*"),
    "over-limit-depth": lambda c: graphql(TOO_DEEP),
    "over-limit-aliases": lambda c: graphql(TOO_MANY_ALIASES),
    "over-limit-document": lambda c: graphql(TOO_LONG),
    "over-limit-body": lambda c: graphql("{ __typename }", padding="x" * (MAX_BODY_BYTES + 1)),
    "healthz": lambda c: get("/healthz"),
    "readyz": lambda c: get("/readyz"),
    "unknown-path": lambda c: get("/nowhere"),
    "method-not-allowed": lambda c: raw("PUT", b"{}", {"content-type": "application/json"}),
}
WITHOUT_REQUEST_ID = {"products-without-request-id", "cors-preflight-allowed"}


@dataclass
class Parity:
    requests: dict[str, HttpRequest]
    serve: dict[str, HttpAnswer]
    handler: dict[str, dict[str, HttpAnswer]]
    """By event kind, then request name."""
    runs: dict[str, LambdaRun]


@pytest.fixture(scope="module")
def parity(
    serve_url: str,
    lambda_folder: Path,
    dynamodb_local_endpoint: str,
    test_data: TestData,
    tmp_path_factory: pytest.TempPathFactory,
) -> Parity:
    callers = Callers.of(test_data)
    requests = {}
    for name, build in REQUESTS.items():
        request = build(callers)
        if name not in WITHOUT_REQUEST_ID:
            request = replace(request, headers={"x-request-id": f"parity-{name}", **request.headers})
        requests[name] = request
    with httpx.Client(base_url=serve_url, timeout=30) as client:
        serve = {name: send_to_serve(client, request) for name, request in requests.items()}
    handler, runs = {}, {}
    for kind in EVENT_KINDS:
        settings = seeded(parity_settings(dynamodb_local_endpoint), test_data)
        events = [as_event(request, kind, number) for number, request in enumerate(requests.values())]
        home = tmp_path_factory.mktemp(f"home-{kind}")
        run = invoke_unpacked(
            lambda_folder, settings_environment(settings), events, home, ARTIFACTS / f"lambda-{kind}.log"
        )
        handler[kind] = dict(zip(requests, map(answer_of_event, run.responses), strict=True))
        runs[kind] = run
    return Parity(requests, serve, handler, runs)


def test_the_table_has_at_least_twenty_requests() -> None:
    assert len(REQUESTS) >= 20


@pytest.mark.parametrize("kind", EVENT_KINDS)
@pytest.mark.parametrize("name", list(REQUESTS))
def test_the_handler_answers_as_serve(parity: Parity, kind: str, name: str) -> None:
    request = parity.requests[name]
    assert comparable(parity.handler[kind][name], request) == comparable(parity.serve[name], request)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_one_app_and_one_dynamodb_client_per_execution_environment(parity: Parity, kind: str) -> None:
    summary = parity.runs[kind].summary
    assert (summary["service_objects"], summary["dynamodb_clients"]) == (1, 1)


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_the_package_carries_every_module_it_imports(parity: Parity, kind: str) -> None:
    foreign = [line for line in parity.runs[kind].summary["foreign_modules"] if not line.startswith("__")]
    assert foreign == []


@pytest.mark.parametrize("kind", EVENT_KINDS)
def test_the_init_phase_runs_the_zips_compiled_texts_with_the_collector_paused(parity: Parity, kind: str) -> None:
    summary = parity.runs[kind].summary
    uses = summary["compiled_texts"]
    # The few misses are made while the app is built, after the recorded imports.
    assert uses["hits"] >= 3000
    assert uses["misses"] <= uses["hits"] // 20
    # Collecting again afterwards; what the init phase made frozen out of it.
    assert summary["gc_enabled"]
    assert summary["gc_frozen"] > 100_000


def test_the_zips_compiled_texts_are_what_python_compiles(lambda_folder: Path) -> None:
    codes = compiled_texts.read(lambda_folder / compiled_texts.FILE_NAME)
    assert (len(codes["exec"]) >= 1000, len(codes["eval"]) >= 400) == (True, True)
    differ = [
        text
        for mode, texts in codes.items()
        for text, code in texts.items()
        if code != compiled_texts.compiled(text, mode)
    ]
    assert differ == []


def test_the_zip_holds_no_test_or_local_only_code(lambda_zip: BuiltZip) -> None:
    with zipfile.ZipFile(lambda_zip.path) as archive:
        names = archive.namelist()
    top = {name.split("/", 1)[0].split("-", 1)[0].lower() for name in names}
    assert not top & {"moto", "pytest", "_pytest", "mypy", "ruff", "hypothesis", "httpx", "httpx2", "werkzeug", "flask"}
    assert not [name for name in names if name.startswith(("graphql_api/local/", "tests/"))]
    assert "graphql_api/aws_lambda.py" in names
    assert "mangum/__init__.py" in names


def test_the_zip_fits_and_its_cold_start_is_recorded(
    parity: Parity, lambda_zip: BuiltZip, record_property: Any
) -> None:
    measured: dict[str, float] = {
        "zip_bytes": lambda_zip.path.stat().st_size,
        "build_seconds": round(lambda_zip.build_seconds, 1),
    }
    for kind, run in parity.runs.items():
        measured[f"{kind}_import_ms"] = round(run.summary["import_ms"])
        measured[f"{kind}_first_answer_ms"] = round(run.summary["first_answer_ms"])
        measured[f"{kind}_process_ms"] = round(run.process_ms)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "lambda-measurements.json").write_text(json.dumps(measured, indent=2) + "\n")
    for name, value in measured.items():
        record_property(name, value)
    # Lambda's limit for a zip uploaded directly. The times are recorded, never asserted (that is bench/'s job).
    assert measured["zip_bytes"] < 50 * 1024 * 1024


def test_the_handler_refuses_unsafe_settings(lambda_folder: Path, dynamodb_local_endpoint: str, tmp_path: Path) -> None:
    unsafe = settings_environment(Settings(dynamodb_endpoint_url=dynamodb_local_endpoint))  # no issuer, no secret
    event = as_event(raw("POST", b'{"query": "{ __typename }"}', {"content-type": "application/json"}), "http-api", 0)
    with pytest.raises(RuntimeError) as refused:
        invoke_unpacked(lambda_folder, unsafe, [event], tmp_path, ARTIFACTS / "lambda-unsafe.log")
    assert "AUTH_ISSUER is not set" in str(refused.value)
    assert "CURSOR_SECRET is not set" in str(refused.value)
