"""Rate limits per identity (graphql_api.http.rate_limit), against the real backend's RateLimits table.

Each test's callers are new subjects, so no test sees another's counters. The window is a day: a burst of a
second never straddles two windows (except at midnight UTC).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from botocore.exceptions import ClientError
from starlette.testclient import TestClient
from starlette.websockets import WebSocketDisconnect

from graphql_api.app import create_app
from graphql_api.repositories.rate_limits import RATE_LIMITS
from graphql_api.settings import Settings
from tests.issuer import ADMIN, bearer, shared_issuer
from tests.support import Api, fresh_settings, run_with_dynamo

ME = "query Me { me { name } }"  # one load by key: estimated 1, made 1
DAY = 86400


def customer() -> dict[str, str]:
    return bearer(shared_issuer().token(f"rl-{uuid.uuid4().hex[:10]}"))


def admin() -> dict[str, str]:
    return bearer(shared_issuer().token(f"rl-admin-{uuid.uuid4().hex[:10]}", ADMIN[1]))


def ensure_table(settings: Settings) -> None:
    async def create(dynamo: Any) -> None:
        try:
            await dynamo.call("create_table", **RATE_LIMITS.table.create_table_params(settings.table_prefix))
        except ClientError as error:
            if error.response["Error"]["Code"] != "ResourceInUseException":
                raise

    run_with_dynamo(settings, create)


def limited(api: Api, **changes: Any) -> Settings:
    ensure_table(api.settings)
    # A busy emulator may take seconds to answer: the limiter must wait for it here, not fail open.
    return api.settings.replace(rate_limit_window_seconds=DAY, rate_limit_store_timeout=30.0, **changes)


@pytest.fixture
def small(api: Api) -> Iterator[TestClient]:
    with TestClient(create_app(limited(api, rate_limit_customer=5))) as client:
        yield client


def post(client: TestClient, headers: dict[str, str], query: str = ME, variables: dict[str, Any] | None = None) -> Any:
    return client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers)


def test_a_burst_over_the_limit_is_refused_with_the_headers_while_another_identity_is_served(
    small: TestClient,
) -> None:
    greedy, other = customer(), customer()
    answers = [post(small, greedy) for _ in range(7)]
    assert [answer.status_code for answer in answers] == [200] * 5 + [429] * 2
    first, refused = answers[0], answers[5]
    assert first.headers["ratelimit-policy"].startswith('"customer-requests";q=5;w=86400')
    assert first.headers["ratelimit"].startswith('"customer-requests";r=4;t=')
    assert refused.json()["errors"][0]["extensions"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["retry-after"]) <= DAY
    assert refused.headers["ratelimit"].startswith('"customer-requests";r=0;')
    # The first refused query ran beside its charge (its answer discarded); the next is refused at once.
    assert refused.headers["x-dynamodb-requests"] == "1"
    assert answers[6].headers["x-dynamodb-requests"] == "0"
    served = post(small, other)
    assert served.status_code == 200
    assert "errors" not in served.json()


def test_two_instances_share_one_budget(api: Api) -> None:
    settings = limited(api, rate_limit_customer=12)
    caller = customer()
    with TestClient(create_app(settings)) as one, TestClient(create_app(settings)) as two:
        clients = [one, two] * 15
        with ThreadPoolExecutor(max_workers=10) as pool:
            statuses = list(pool.map(lambda client: post(client, caller).status_code, clients))
    assert statuses.count(200) == 12, statuses
    assert statuses.count(429) == 18


def test_mutations_have_a_budget_of_their_own(api: Api) -> None:
    # createProduct is estimated 1 request: 2 fit the admin's mutation budget, queries go on.
    settings = limited(api, rate_limit_admin_mutations=2)
    caller = admin()
    create = "mutation($input: CreateProductInput!) { createProduct(input: $input) { productId } }"
    product = {"name": "Rate-limited lamp", "description": "", "price": "9.99", "category": "home", "stock": 1}
    with TestClient(create_app(settings)) as client:
        made = [post(client, caller, create, {"input": product}) for _ in range(3)]
        query = post(client, caller)
    assert [answer.status_code for answer in made] == [200, 200, 429], [answer.text for answer in made]
    assert "admin-mutations" in made[2].json()["errors"][0]["message"] or "mutations" in made[2].text
    assert made[2].headers["ratelimit"].split(", ")[1].startswith('"admin-mutations";r=0;')
    assert made[2].headers["x-dynamodb-requests"] == "0"  # a mutation is charged before it runs: never written
    assert query.status_code == 200


def test_the_estimate_is_reconciled_with_the_requests_made(api: Api) -> None:
    # A filtered listing is estimated at the read budget (FILTER_READ_BUDGET Queries); it makes fewer. What the
    # estimate charged too much is given back with the caller's next charge: after N requests the counter holds
    # the first N - 1's requests made and the last one's estimate (one write per request, exact but for that).
    settings = limited(api)
    sub = f"rl-admin-{uuid.uuid4().hex[:10]}"
    caller = bearer(shared_issuer().token(sub, ADMIN[1]))
    query = "query($id: ID!) { customer(customerId: $id) { orders(status: PENDING) { edges { node { orderId } } } } }"
    key = f"{shared_issuer().url}#{sub}#"
    made_so_far = 0
    with TestClient(create_app(settings)) as client:
        for _ in range(3):
            answer = post(client, caller, query, {"id": api.data.canonical.customer_id})
            assert answer.status_code == 200, answer.text
            estimated = int(answer.headers["x-estimated-dynamodb-requests"])
            made = int(answer.headers["x-dynamodb-requests"])
            assert estimated > made >= 1, (answer.text, dict(answer.headers))
            assert counters(settings, key) == [made_so_far + estimated]
            made_so_far += made
        me = post(client, caller)  # estimated 1, made 1: the last refund rides on its charge
        assert me.status_code == 200, me.text
        assert counters(settings, key) == [made_so_far + 1]


def counters(settings: Settings, key_prefix: str) -> list[int]:
    """The requests counted for the identity whose counters' keys start with `key_prefix`."""

    async def scan(dynamo: Any) -> list[int]:
        table = RATE_LIMITS.table.physical_name(settings.table_prefix)
        response = await dynamo.call("scan", TableName=table, ConsistentRead=True)
        return [int(item["Requests"]["N"]) for item in response["Items"] if item["Key"]["S"].startswith(key_prefix)]

    result: list[int] = run_with_dynamo(settings, scan)
    return result


@pytest.mark.parametrize("fail_open", [True, False])
def test_the_store_unreachable_is_the_documented_choice_and_logged(
    endpoint: str, fail_open: bool, caplog: pytest.LogCaptureFixture
) -> None:
    settings = fresh_settings(endpoint, rate_limit_fail_open=fail_open)  # no tables at all: the store fails
    with (
        caplog.at_level(logging.WARNING, logger="graphql_api.http.rate_limit"),
        TestClient(create_app(settings)) as client,
    ):
        answer = post(client, customer(), "{ __typename }")
    warnings = [record for record in caplog.records if record.getMessage() == "rate_limit_store_unavailable"]
    assert len(warnings) == 1
    if fail_open:
        assert answer.status_code == 200, answer.text
        assert answer.json()["data"] == {"__typename": "Query"}
    else:
        assert answer.status_code == 503
        assert answer.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"


def test_websocket_connections_and_their_operations_count_too(api: Api) -> None:
    settings = limited(api, rate_limit_customer=3)
    caller = customer()
    with TestClient(create_app(settings)) as client:
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            socket.send_json({"type": "connection_init", "payload": caller})  # 1
            assert socket.receive_json()["type"] == "connection_ack"
            answers = []
            for number in range(3):  # 2, 3, then over
                socket.send_json({"id": str(number), "type": "subscribe", "payload": {"query": "{ __typename }"}})
                answers.append(socket.receive_json())
                if answers[-1]["type"] == "next":
                    assert socket.receive_json()["type"] == "complete"
        assert [answer["type"] for answer in answers] == ["next", "next", "error"]
        assert answers[2]["payload"][0]["extensions"]["code"] == "RATE_LIMITED"
        with client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
            socket.send_json({"type": "connection_init", "payload": caller})
            with pytest.raises(WebSocketDisconnect) as refused:
                socket.receive_json()
    assert refused.value.code == 4403


def test_a_document_refused_as_too_complex_costs_1_not_its_estimate(small: TestClient) -> None:
    caller = customer()
    dear = (
        '{ productsByCategory(category: "x", first: 50) { edges { node { reviews { edges { node { title } } } } } } }'
    )
    refused = post(small, caller, dear)
    assert refused.json()["errors"][0]["extensions"]["code"] == "QUERY_TOO_COMPLEX"
    assert refused.headers["ratelimit"].startswith('"customer-requests";r=4;')
    assert [post(small, caller).status_code for _ in range(4)] == [200] * 4
