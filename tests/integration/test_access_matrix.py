"""The cross-tenant matrix (SPEC section 9): every root field of the schema, called by five callers.

Callers: anonymous; customer A on A's own objects ("own"); customer A on customer B's objects ("other");
staff and admin on B's objects. The fields and their operations are generated from the live schema
(arguments filled in by name, every scalar of the answer selected), so a new field fails here until its
expected row is written. Every cell is checked against SPEC 9's table; every denied cell (an error, or
another customer's object read as null) must show nothing of B anywhere in the response and leave every
table exactly as it was.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import GraphQLField, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, GraphQLSchema, get_named_type
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.auth.identity import Role
from graphql_api.graphql.schema import build_schema
from graphql_api.ops.table_admin import create_tables
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.support import fresh_settings, run_with_dynamo, snapshot
from tests.support.selection import selection

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

CALLERS = ("anonymous", "own", "other", "staff", "admin")
DATA, NULL = "data", "null"
UNAUTH, FORBIDDEN, NOT_FOUND, CONFLICT = "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND", "CONFLICT"


def row(anonymous: str, own: str, other: str, staff: str, admin: str) -> dict[str, str]:
    return dict(zip(CALLERS, (anonymous, own, other, staff, admin), strict=True))


PUBLIC = row(DATA, DATA, DATA, DATA, DATA)
# SPEC 9's table, one row per root field. "own" for `me` and `createCustomer` has no other target:
# `me` answers A's own customer in both customer cells; createCustomer by A (who has one) is CONFLICT,
# by a new identity ("own") it creates and binds. Staff and admins have no customer of their own.
EXPECTED: dict[str, dict[str, str]] = {
    "Query.product": PUBLIC,
    "Query.products": PUBLIC,
    "Query.productsByCategory": PUBLIC,
    "Query.me": row(UNAUTH, DATA, DATA, NULL, NULL),
    "Query.customer": row(UNAUTH, DATA, NULL, DATA, DATA),
    "Query.customerByEmail": row(UNAUTH, DATA, NULL, DATA, DATA),
    "Query.order": row(UNAUTH, DATA, NULL, DATA, DATA),
    "Query.ordersByStatus": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Mutation.createCustomer": row(UNAUTH, DATA, CONFLICT, DATA, DATA),
    "Mutation.updateCustomer": row(UNAUTH, DATA, NOT_FOUND, FORBIDDEN, DATA),
    "Mutation.deleteCustomer": row(UNAUTH, DATA, NOT_FOUND, FORBIDDEN, DATA),
    "Mutation.createProduct": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Mutation.updateProduct": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Mutation.updateOrderStatus": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Mutation.placeOrder": row(UNAUTH, DATA, NOT_FOUND, DATA, DATA),
    "Mutation.cancelOrder": row(UNAUTH, DATA, NOT_FOUND, DATA, DATA),
    # createReview has no other customer to aim at: "other" is A reviewing like "own" (nothing of B involved).
    "Mutation.createReview": row(UNAUTH, DATA, DATA, FORBIDDEN, FORBIDDEN),
    "Mutation.deleteReview": row(UNAUTH, DATA, NOT_FOUND, DATA, DATA),
    # A cart is the caller's own: no argument aims at another's ("other" is A on A's), staff and admins have none.
    "Mutation.setCartLine": row(UNAUTH, DATA, DATA, FORBIDDEN, FORBIDDEN),
    "Mutation.clearCart": row(UNAUTH, DATA, DATA, FORBIDDEN, FORBIDDEN),
    # Counts kept by the writes (SPEC 13): categories for anyone, the order statuses' counts and revenue for staff.
    "Query.categories": PUBLIC,
    "Query.orderStats": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    # The lists (SPEC 13): orders and customers for staff and admins, products and reviews for anyone; each row
    # passes a filter aimed at the target (a list without one is refused before any rule matters).
    "Query.listOrders": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Query.listCustomers": row(UNAUTH, FORBIDDEN, FORBIDDEN, DATA, DATA),
    "Query.listProducts": PUBLIC,
    "Query.listReviews": PUBLIC,
    # Relay's node(id:) follows the rule of each type's own root field: `Query.node` aims at a customer,
    # `Query.node@Type` at another type's node (the same field, another global id).
    "Query.node": row(UNAUTH, DATA, NULL, DATA, DATA),
    "Query.node@Order": row(UNAUTH, DATA, NULL, DATA, DATA),
    "Query.node@Product": PUBLIC,
    "Query.node@Review": PUBLIC,
    # The audit trail (SPEC 15) holds every customer's personal data: admins only, staff too are FORBIDDEN.
    "Query.auditLog": row(UNAUTH, FORBIDDEN, FORBIDDEN, FORBIDDEN, DATA),
}
NODE_TARGETS = {"Query.node": "Customer", "Query.node@Order": "Order", "Query.node@Product": "Product"}
NODE_TARGETS["Query.node@Review"] = "Review"
WITH_REVIEW = {"Mutation.deleteReview", "Query.node@Review"}
NO_ORDERS = {"Mutation.deleteCustomer"}  # a customer with orders cannot be deleted: its targets have none


def root_fields(schema: GraphQLSchema) -> dict[str, GraphQLField]:
    roots = [schema.query_type, schema.mutation_type]
    return {f"{root.name}.{name}": field for root in roots if root for name, field in root.fields.items()}


SCHEMA = build_schema()._schema
FIELDS = root_fields(SCHEMA)


def field_key(key: str) -> str:
    """The root field a row calls: `Query.node@Order` is `Query.node`."""
    return key.split("@")[0]


def test_every_root_field_of_the_schema_has_its_row() -> None:
    assert sorted(FIELDS) == sorted({field_key(key) for key in EXPECTED})


@dataclass
class Party:
    """A customer bound to a fresh identity, with (usually) one PENDING order and a review."""

    sub: str
    customer: dict[str, Any]
    order: dict[str, Any] | None
    review: dict[str, Any] | None = None

    @property
    def headers(self) -> dict[str, str]:
        return bearer(shared_issuer().token(self.sub))

    def secrets(self) -> list[str]:
        """What must never reach another customer: ids, email, name."""
        found = [self.customer["customerId"], self.customer["email"], self.customer["name"]]
        return (
            found + ([self.order["orderId"]] if self.order else []) + ([self.review["reviewId"]] if self.review else [])
        )


@dataclass
class World:
    client: TestClient
    settings: Any
    product_id: str
    category: str

    def post(self, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        response = self.client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    def must(self, query: str, variables: dict[str, Any], headers: dict[str, str]) -> dict[str, Any]:
        body = self.post(query, variables, headers)
        assert "errors" not in body, body
        data: dict[str, Any] = body["data"]
        return data

    def party(self, with_order: bool, with_review: bool = False) -> Party:
        sub = f"matrix-{uuid.uuid4().hex[:12]}"
        headers = bearer(shared_issuer().token(sub))
        customer = self.must(
            "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId email name version } }",
            {"i": {"email": f"{sub}@example.com", "name": f"Name {sub}"}},
            headers,
        )["createCustomer"]
        order = None
        if with_order:
            order = self.must(
                "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId version } }",
                {"i": {"items": [{"productId": self.product_id, "quantity": 1}]}},
                headers,
            )["placeOrder"]
            customer = self.must(
                "query($id: ID!) { customer(customerId: $id) { customerId email name version } }",
                {"id": customer["customerId"]},
                headers,
            )["customer"]
        review = None
        if with_review:
            review = self.must(
                "mutation($i: CreateReviewInput!) { createReview(input: $i) { reviewId } }",
                {"i": {"productId": self.product_id, "rating": 4, "title": "Fine", "body": "Works."}},
                headers,
            )["createReview"]
        return Party(sub, customer, order, review)


@pytest.fixture(scope="module")
def world(endpoint: str) -> Iterator[World]:
    # The matrix is about rules, not rates: every anonymous cell comes from one client address.
    settings = fresh_settings(endpoint, rate_limit_anonymous=100_000, rate_limit_anonymous_mutations=100_000)
    run_with_dynamo(settings, create_tables)
    with TestClient(create_app(settings)) as client:
        category = f"matrix{uuid.uuid4().hex[:6]}"
        product = client.post(
            "/graphql",
            json={
                "query": "mutation($i: CreateProductInput!) { createProduct(input: $i) { productId } }",
                "variables": {
                    "i": {"name": "Matrix", "category": category, "price": "1.00", "currency": "EUR", "stock": 100000}
                },
            },
            headers=admin_headers(),
        ).json()["data"]["createProduct"]
        yield World(client, settings, product["productId"], category)


def _type_text(type_: Any) -> str:
    if isinstance(type_, GraphQLNonNull):
        return _type_text(type_.of_type) + "!"
    if isinstance(type_, GraphQLList):
        return f"[{_type_text(type_.of_type)}]"
    return str(type_.name)


def operation(key: str, role: Role | None) -> str:
    """The document for one root field: its required arguments as variables, and every field of its answer
    that `role` may read (None: every field, whatever its rule)."""
    root, name = field_key(key).split(".")
    field = FIELDS[field_key(key)]
    required = {arg_name: arg for arg_name, arg in field.args.items() if _passed(name, arg_name, arg)}
    declared = "".join(f"${arg}: {_type_text(a.type)}, " for arg, a in required.items()).rstrip(", ")
    passed = ", ".join(f"{arg}: ${arg}" for arg in required)
    kind = "query" if root == "Query" else "mutation"
    head = f"{kind}({declared})" if declared else kind
    call = f"{name}({passed})" if passed else name
    return f"{head} {{ {call} {answer_selection(key, role)} }}"


def _passed(field_name: str, arg_name: str, arg: Any) -> bool:
    """The arguments a row passes: the required ones, and a list's filter."""
    return isinstance(arg.type, GraphQLNonNull) or (field_name.startswith("list") and arg_name == "filter")


def answer_selection(key: str, role: Role | None) -> str:
    """What a row selects of its field's answer: a node row, the fragment of the type it aims at."""
    if key in NODE_TARGETS:
        type_name = NODE_TARGETS[key]
        return f"{{ __typename ... on {type_name} {selection(SCHEMA.get_type(type_name), role)} }}"
    return selection(FIELDS[key].type, role)


# Argument values by name: what each caller aims at. `target` is A for "own", B for every other caller.
Values = Callable[["World", Party, str], Any]
ARGUMENTS: dict[str, Values] = {
    "customerId": lambda w, t, f: t.customer["customerId"],
    "email": lambda w, t, f: t.customer["email"],
    "orderId": lambda w, t, f: t.order["orderId"] if t.order else None,
    "productId": lambda w, t, f: w.product_id,
    "productIds": lambda w, t, f: [w.product_id],
    "category": lambda w, t, f: w.category,
    "status": lambda w, t, f: "PENDING",
    "quantity": lambda w, t, f: 2,
    "reviewId": lambda w, t, f: t.review["reviewId"] if t.review else None,
    "id": lambda w, t, f: node_id(w, t, NODE_TARGETS[f]),
    "entityId": lambda w, t, f: t.customer["customerId"],
    "expectedVersion": lambda w, t, f: (t.order if "Order" in f and t.order else t.customer)["version"],
}
INPUTS: dict[str, Values] = {
    "CreateCustomerInput": lambda w, t, f: {"email": f"new.{uuid.uuid4().hex[:10]}@example.com", "name": "Created"},
    "UpdateCustomerInput": lambda w, t, f: {
        "customerId": t.customer["customerId"],
        "expectedVersion": t.customer["version"],
        "name": "Renamed",
    },
    "CreateProductInput": lambda w, t, f: {
        "name": "New",
        "category": w.category,
        "price": "2.00",
        "currency": "EUR",
        "stock": 5,
    },
    "UpdateProductInput": lambda w, t, f: {
        "productId": w.product_id,
        "expectedVersion": current_product_version(w),
        "description": "changed",
    },
    "PlaceOrderInput": lambda w, t, f: {
        "customerId": t.customer["customerId"],
        "items": [{"productId": w.product_id, "quantity": 1}],
    },
    "CreateReviewInput": lambda w, t, f: {"productId": w.product_id, "rating": 5, "title": "Good", "body": "Yes."},
    "OrderFilter": lambda w, t, f: {"customerId": {"eq": t.customer["customerId"]}},
    "CustomerFilter": lambda w, t, f: {"email": {"eq": t.customer["email"]}},
    "ProductFilter": lambda w, t, f: {"category": {"eq": w.category}},
    "ReviewFilter": lambda w, t, f: {"productId": {"eq": w.product_id}},
    "UpdateOrderStatusInput": lambda w, t, f: {
        "orderId": t.order["orderId"] if t.order else None,
        "status": "PAID",
        "expectedVersion": t.order["version"] if t.order else 1,
    },
}


def node_id(world: World, target: Party, type_name: str) -> str:
    """The target's object's global id, as its own `id` field gives it."""
    asked = {
        "Customer": ("query($k: ID!) { customer(customerId: $k) { id } }", target.customer["customerId"]),
        "Order": ("query($k: ID!) { order(orderId: $k) { id } }", target.order["orderId"] if target.order else None),
        "Product": ("query($k: ID!) { product(productId: $k) { id } }", world.product_id),
    }
    if type_name == "Review":
        assert target.review is not None
        reviews = world.must(
            "query($k: ID!) { product(productId: $k) { reviews(first: 100) { edges { node { id reviewId } } } } }",
            {"k": world.product_id},
            admin_headers(),
        )["product"]["reviews"]["edges"]
        review_id: str = next(
            edge["node"]["id"] for edge in reviews if edge["node"]["reviewId"] == target.review["reviewId"]
        )
        return review_id
    query, key = asked[type_name]
    found: str = next(iter(world.must(query, {"k": key}, admin_headers()).values()))["id"]
    return found


def current_product_version(world: World) -> int:
    data = world.must("query($id: ID!) { product(productId: $id) { version } }", {"id": world.product_id}, {})
    version: int = data["product"]["version"]
    return version


def variables_for(world: World, key: str, target: Party) -> dict[str, Any]:
    values = {}
    field_name = field_key(key).split(".")[1]
    for name, arg in FIELDS[field_key(key)].args.items():
        if not _passed(field_name, name, arg):
            continue
        named = get_named_type(arg.type)
        maker = INPUTS.get(named.name) if isinstance(named, GraphQLInputObjectType) else ARGUMENTS.get(name)
        assert maker is not None, f"{key}: give the matrix a value for the argument {name} ({named.name})"
        values[name] = maker(world, target, key)
    return values


ROLES = {
    "anonymous": Role.ANONYMOUS,
    "own": Role.CUSTOMER,
    "other": Role.CUSTOMER,
    "staff": Role.STAFF,
    "admin": Role.ADMIN,
}


def caller_headers(caller: str, a: Party) -> dict[str, str]:
    issuer = shared_issuer()
    if caller == "anonymous":
        return {}
    if caller == "staff":
        return bearer(issuer.token("matrix-staff", ("staff",)))
    if caller == "admin":
        return bearer(issuer.token("matrix-admin", ("admin",)))
    return a.headers


def outcome(body: dict[str, Any], field_name: str) -> str:
    if body.get("errors"):
        codes: set[str] = {error["extensions"]["code"] for error in body["errors"]}
        assert len(codes) == 1, body
        return codes.pop()
    value = body["data"][field_name]
    return NULL if value is None or value == [] else DATA


CELLS = [(key, caller) for key in EXPECTED for caller in CALLERS]


@pytest.mark.parametrize(("key", "caller"), CELLS, ids=[f"{key}-{caller}" for key, caller in CELLS])
def test_cell(world: World, key: str, caller: str) -> None:
    with_orders = key not in NO_ORDERS
    with_review = key in WITH_REVIEW
    a, b = world.party(with_orders, with_review), world.party(with_orders, with_review)
    target = a if caller == "own" else b
    headers = caller_headers(caller, a)
    if key == "Mutation.createCustomer" and caller == "own":
        headers = bearer(shared_issuer().token(f"matrix-new-{uuid.uuid4().hex[:8]}"))  # an identity with none yet
    expected = EXPECTED[key][caller]
    denied = expected != DATA or caller == "own"
    before = snapshot(world.settings) if expected != DATA else None

    role = ROLES[caller]
    body = world.post(operation(key, role), variables_for(world, key, target), headers)

    field_name = field_key(key).split(".")[1]
    assert outcome(body, field_name) == expected, body
    if denied:
        # Nothing of B reaches anyone but B's own staff and admins: not in data, messages or extensions.
        text = str(body)
        for secret in b.secrets():
            assert secret not in text, (secret, body)
    if before is not None:
        assert snapshot(world.settings) == before, "a denied call wrote something"
    answers_about_a_customer = "customerId" in answer_selection(key, role)
    if (
        expected == DATA
        and caller in ("own", "other")
        and answers_about_a_customer
        and key != "Mutation.createCustomer"
    ):
        assert a.customer["customerId"] in str(body), body  # a customer's own cells answer about A
    if key.startswith("Query.") and expected == DATA and operation(key, None) != operation(key, role):
        # Fields with their own rule the caller's role is outside of: asked for anyway, they are refused by
        # that rule (reads only: a mutation asked for them would still write).
        refused = world.post(operation(key, None), variables_for(world, key, target), headers)
        assert outcome(refused, field_name) == (UNAUTH if caller == "anonymous" else FORBIDDEN), refused
        for secret in b.secrets():
            assert secret not in str(refused["errors"]), (secret, refused)
