"""The audit trail (SPEC 15) on both backends: changes made through the API, a direct write and a repeated stream
record, read back with `auditLog` by an admin (and by nobody else), each entry with its time to live.

The service runs with AUDIT_TRAIL on (the suite's other apps run without it), on tables of its own: its stream
readers write the entries a moment after each change, so every check waits for its entry (no fixed sleep).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiobotocore.config import AioConfig
from aiobotocore.session import get_session
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.auth.identity import subject_of
from graphql_api.cli.audit import erase
from graphql_api.dynamo.client import client_kwargs, config_kwargs, open_dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.live.audit import AuditTrail
from graphql_api.live.bus import Publisher
from graphql_api.live.relay import Relay
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories import audit
from graphql_api.repositories.customers import CUSTOMERS
from tests import fixtures_data
from tests.issuer import ADMIN, bearer, shared_issuer
from tests.operations import CANCEL_ORDER, UPDATE_CUSTOMER, UPDATE_PRODUCT, create_customer, create_product, place_order
from tests.support import Api, fresh_settings, run_with_dynamo
from tests.support.live_bus import RedisServer

AUDIT_LOG = """query($id: ID!, $first: Int, $after: String) { auditLog(entityId: $id, first: $first, after: $after) {
  edges { node { entityId table kind actor changedAt changes { field before after } } }
  pageInfo { hasNextPage endCursor } } }"""
CREATE_REVIEW = "mutation($i: CreateReviewInput!) { createReview(input: $i) { reviewId productId } }"
SIGN_UP = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId } }"


def admin_actor() -> str:
    return f"admin:{subject_of(shared_issuer().url, ADMIN[0])}"


WAIT = 60.0  # the backends are emulators on a shared machine: generous, and only the slowest case waits it out


@pytest.fixture(scope="module")
def audited(endpoint: str, test_data: fixtures_data.TestData) -> Iterator[Api]:
    """The service with its audit trail on, over empty tables of its own, once its audited streams are read."""
    settings = fresh_settings(endpoint, audit_trail=True)
    run_with_dynamo(settings, create_tables)
    with TestClient(create_app(settings)) as client:
        live = client.app.state.services.live  # type: ignore[attr-defined]
        feeds = [live.hub.feed(entity) for entity in audit.AUDITED]
        deadline = time.monotonic() + WAIT
        while not all(feed.ready.is_set() for feed in feeds):
            assert time.monotonic() < deadline, "the audited streams were not being read in time"
            time.sleep(0.05)
        yield Api(client=client, settings=settings, data=test_data)


def trail(api: Api, entity_id: str, count: int) -> list[dict[str, Any]]:
    """The entity's entries, newest first, once there are at least `count` of them."""
    deadline = time.monotonic() + WAIT
    while True:
        nodes = [edge["node"] for edge in api.data_of(AUDIT_LOG, {"id": entity_id, "first": 50})["auditLog"]["edges"]]
        if len(nodes) >= count:
            return nodes
        assert time.monotonic() < deadline, f"{entity_id}: {len(nodes)} of {count} entries after {WAIT} s: {nodes}"
        time.sleep(0.1)


def changes(entry: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The entry's changed fields: before and after, decoded from their JSON text (None: absent)."""

    def value(text: str | None) -> Any:
        return None if text is None else json.loads(text)

    return {change["field"]: (value(change["before"]), value(change["after"])) for change in entry["changes"]}


def test_an_api_update_is_recorded_with_its_actor_time_fields_before_and_after(audited: Api) -> None:
    customer = create_customer(audited, name="Ada Before")
    started = datetime.now(UTC)
    audited.data_of(
        UPDATE_CUSTOMER,
        {"input": {"customerId": customer["customerId"], "expectedVersion": customer["version"], "name": "Ada After"}},
    )
    modified, inserted = trail(audited, customer["customerId"], 2)
    assert (inserted["kind"], inserted["actor"], inserted["table"]) == ("INSERT", admin_actor(), "Customers")
    assert changes(inserted)["Email"] == (None, customer["email"])  # personal data: see the retention docs
    assert (modified["kind"], modified["actor"]) == ("MODIFY", admin_actor())
    assert changes(modified) == {"Name": ("Ada Before", "Ada After")}  # only what changed (bookkeeping left out)
    # The record's approximate time: DynamoDB Local rounds it down to the minute.
    assert (
        started - timedelta(minutes=1, seconds=5) <= datetime.fromisoformat(modified["changedAt"]) <= datetime.now(UTC)
    )


def test_an_order_placed_and_cancelled_and_a_product_and_review_each_have_their_entries(audited: Api) -> None:
    customer = create_customer(audited)
    product = create_product(audited, stock=10, price="5.00")
    order = place_order(audited, customer["customerId"], [(product["productId"], 2)])
    audited.data_of(CANCEL_ORDER, {"id": order["orderId"], "v": order["version"]})
    updated = audited.data_of(
        UPDATE_PRODUCT, {"input": {"productId": product["productId"], "expectedVersion": 3, "price": "6.50"}}
    )["updateProduct"]
    assert updated["price"] == "6.50"

    cancelled, placed = trail(audited, order["orderId"], 2)
    assert (placed["kind"], placed["actor"], placed["table"]) == ("INSERT", admin_actor(), "Orders")
    assert changes(placed)["Status"] == (None, "PENDING")
    assert (cancelled["kind"], cancelled["actor"]) == ("MODIFY", admin_actor())
    assert changes(cancelled)["Status"] == ("PENDING", "CANCELLED")

    # The product: created, its stock taken by the order and given back by the cancel, then its price changed.
    repriced, restocked, sold, created = trail(audited, product["productId"], 4)
    assert [entry["kind"] for entry in (repriced, restocked, sold, created)] == ["MODIFY", "MODIFY", "MODIFY", "INSERT"]
    assert {entry["actor"] for entry in (repriced, restocked, sold, created)} == {admin_actor()}
    assert changes(sold)["Stock"] == (10, 8)
    assert changes(restocked)["Stock"] == (8, 10)
    assert changes(repriced)["Price"] == (5, "6.50")  # a whole number as a number; a fraction as its exact text

    sub = f"audited-{uuid.uuid4().hex[:8]}"
    reviewer = bearer(shared_issuer().token(sub))
    audited.data_of(SIGN_UP, {"i": {"email": f"{sub}@example.com", "name": "Reviewer"}}, reviewer)
    review = audited.data_of(
        CREATE_REVIEW,
        {"i": {"productId": product["productId"], "rating": 5, "title": "Good", "body": "Yes."}},
        reviewer,
    )["createReview"]
    (entry,) = trail(audited, review["reviewId"], 1)
    assert (entry["kind"], entry["actor"]) == ("INSERT", f"customer:{subject_of(shared_issuer().url, sub)}")
    assert changes(entry)["Rating"] == (None, 5)


def test_a_direct_write_is_recorded_as_outside_the_api(audited: Api) -> None:
    customer = create_customer(audited, name="Grace")
    table = CUSTOMERS.table.physical_name(audited.settings.table_prefix)

    async def rename(dynamo: Any) -> None:
        await dynamo.call(
            "update_item",
            TableName=table,
            Key=serialize_item({"CustomerId": customer["customerId"]}),
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": "Name"},
            ExpressionAttributeValues=serialize_item({":n": "Grace Console"}),
        )

    run_with_dynamo(audited.settings, rename)
    direct, inserted = trail(audited, customer["customerId"], 2)
    assert inserted["actor"] == admin_actor()
    assert (direct["kind"], direct["actor"]) == ("MODIFY", audit.OUTSIDE_THE_API)
    assert changes(direct) == {"Name": ("Grace", "Grace Console")}


def test_the_same_record_written_twice_is_one_entry_with_its_time_to_live(audited: Api) -> None:
    customer_id = CUSTOMERS.new_id()
    at = datetime.now(UTC).replace(microsecond=0)
    image = {"CustomerId": customer_id, "Email": "twice@example.com", "Name": "Twice", "Version": 1}
    record = {
        "eventName": "INSERT",
        "dynamodb": {
            "ApproximateCreationDateTime": at,
            "Keys": serialize_item({"CustomerId": customer_id}),
            "NewImage": serialize_item(image),
            "SequenceNumber": "4200000000001234567890",
        },
    }

    async def write_twice(dynamo: Any) -> list[dict[str, Any]]:
        # Two instances reading the same shard (or a relay replaying a batch after a failover).
        for trail_writer in (AuditTrail(dynamo, 30), AuditTrail(dynamo, 30)):
            await trail_writer.write("Customers", record)
        response = await dynamo.call(
            "query",
            TableName=audit.AUDIT_LOG.table.physical_name(dynamo.table_prefix),
            KeyConditionExpression="EntityId = :id",
            ExpressionAttributeValues=serialize_item({":id": customer_id}),
            ConsistentRead=True,
        )
        return [deserialize_item(item) for item in response["Items"]]

    (item,) = run_with_dynamo(audited.settings, write_twice)
    assert item["ExpiresAt"] == int((at + timedelta(days=30)).timestamp())
    assert item["Actor"] == audit.OUTSIDE_THE_API
    (entry,) = trail(audited, customer_id, 1)
    assert entry["kind"] == "INSERT"
    assert changes(entry)["Email"] == (None, "twice@example.com")


def test_the_time_to_live_of_an_api_change_is_its_time_plus_the_retention(audited: Api) -> None:
    customer = create_customer(audited)
    (entry,) = trail(audited, customer["customerId"], 1)

    async def stored(dynamo: Any) -> list[dict[str, Any]]:
        response = await dynamo.call(
            "query",
            TableName=audit.AUDIT_LOG.table.physical_name(dynamo.table_prefix),
            KeyConditionExpression="EntityId = :id",
            ExpressionAttributeValues=serialize_item({":id": customer["customerId"]}),
        )
        return [deserialize_item(item) for item in response["Items"]]

    (item,) = run_with_dynamo(audited.settings, stored)
    changed_at = datetime.fromisoformat(entry["changedAt"])
    retention = timedelta(days=audited.settings.audit_retention_days)
    assert item["ExpiresAt"] == int((changed_at + retention).timestamp())
    assert audit.AUDIT_LOG.table.ttl_attribute == "ExpiresAt"  # DynamoDB's time to live reads it


@pytest.mark.parametrize(
    ("caller", "code"),
    [(None, "UNAUTHENTICATED"), (("audit-customer", ()), "FORBIDDEN"), (("audit-staff", ("staff",)), "FORBIDDEN")],
    ids=["anonymous", "customer", "staff"],
)
def test_only_admins_read_the_trail(audited: Api, caller: tuple[str, tuple[str, ...]] | None, code: str) -> None:
    headers = {} if caller is None else bearer(shared_issuer().token(caller[0], caller[1]))
    customer = create_customer(audited, name="Private Person")
    trail(audited, customer["customerId"], 1)  # there is something to leak
    body = audited.query(AUDIT_LOG, {"id": customer["customerId"]}, headers)
    assert body["data"] is None
    assert [error["extensions"]["code"] for error in body["errors"]] == [code]
    assert "Private Person" not in json.dumps(body)
    assert customer["email"] not in json.dumps(body)


def test_erase_deletes_a_customers_whole_trail_and_nothing_else(audited: Api) -> None:
    erased, kept = create_customer(audited), create_customer(audited)
    audited.data_of(UPDATE_CUSTOMER, {"input": {"customerId": erased["customerId"], "expectedVersion": 1, "name": "X"}})
    trail(audited, erased["customerId"], 2)
    trail(audited, kept["customerId"], 1)

    assert erase(audited.settings, argparse.Namespace(entity_id=erased["customerId"])) == 0  # graphql-api audit erase

    assert audited.data_of(AUDIT_LOG, {"id": erased["customerId"]})["auditLog"]["edges"] == []
    assert len(trail(audited, kept["customerId"], 1)) == 1


async def relayed_trail(settings: Any, redis_url: str, customer_id: str) -> list[dict[str, Any]]:
    """A relay (`graphql-api relay`'s code, with its audit) following Customers while a script writes one."""
    table = CUSTOMERS.table.physical_name(settings.table_prefix)
    publisher = Publisher(redis_url)
    async with (
        open_dynamo(settings) as dynamo,
        get_session().create_client(
            "dynamodbstreams", config=AioConfig(**config_kwargs(settings)), **client_kwargs(settings)
        ) as streams,
    ):

        async def call(operation: str, **params: Any) -> dict[str, Any]:
            result: dict[str, Any] = await getattr(streams, operation)(**params)
            return result

        relay = Relay(
            dynamo, call, publisher, [CUSTOMERS.table], owner="audit", max_idle=0.1, audit=AuditTrail(dynamo, 30)
        )
        running = asyncio.ensure_future(relay.run())
        try:
            key = serialize_item({"CustomerId": customer_id})
            item = {"CustomerId": customer_id, "Email": "relayed@example.com", "Name": "Relayed", "Version": 1}
            await dynamo.call("put_item", TableName=table, Item=serialize_item(item))
            await dynamo.call(
                "update_item",
                TableName=table,
                Key=key,
                UpdateExpression="SET Email = :e",
                ExpressionAttributeValues=serialize_item({":e": "moved@example.com"}),
            )
            deadline = time.monotonic() + WAIT
            while True:
                found = await dynamo.call(
                    "query",
                    TableName=audit.AUDIT_LOG.table.physical_name(settings.table_prefix),
                    KeyConditionExpression="EntityId = :id",
                    ExpressionAttributeValues=serialize_item({":id": customer_id}),
                    ConsistentRead=True,
                )
                if len(found["Items"]) >= 2:
                    return [deserialize_item(each) for each in found["Items"]]
                assert time.monotonic() < deadline, f"the relay wrote {len(found['Items'])} of 2 entries"
                await asyncio.sleep(0.1)
        finally:
            running.cancel()
            await asyncio.gather(running, return_exceptions=True)
            await publisher.close()


def test_under_live_bus_the_relay_writes_the_entries(endpoint: str) -> None:
    settings = fresh_settings(endpoint)  # no instance records anything here: only the relay
    run_with_dynamo(settings, create_tables)
    customer_id = CUSTOMERS.new_id()
    redis = RedisServer()
    redis.start()
    try:
        inserted, modified = asyncio.run(relayed_trail(settings, redis.url, customer_id))
    finally:
        redis.stop()
    assert (inserted["Kind"], modified["Kind"]) == ("INSERT", "MODIFY")
    assert {inserted["Actor"], modified["Actor"]} == {audit.OUTSIDE_THE_API}
    assert modified["Changes"] == [
        {"Field": "Email", "Before": '"relayed@example.com"', "After": '"moved@example.com"'}
    ]
