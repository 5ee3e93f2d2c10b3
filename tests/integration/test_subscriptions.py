"""Subscriptions over graphql-transport-ws, fed by DynamoDB Streams, on both backends, against uvicorn.

Every test subscribes through a real WebSocket to the service in its own process (`live_url`), makes a
change (through the API, or straight into DynamoDB as a backfill would), and reads what arrives.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from typing import Any

import pytest

from graphql_api.dynamo.client import open_dynamo
from graphql_api.migration.phase import MIGRATION
from graphql_api.repositories.orders import ORDERS
from tests.depth import count
from tests.issuer import bearer, shared_issuer
from tests.live_client import LiveClient, active_subscriptions, error_codes, metric_total, until_subscribed
from tests.operations import UPDATE_PRODUCT, create_product
from tests.support import Api

ORDER_CHANGED = "subscription($id: ID!) { orderChanged(orderId: $id) { orderId status version items { quantity product { name } } } }"
ORDERS_CHANGED = (
    "subscription($s: OrderStatus) { ordersChanged(status: $s) { order { orderId status } previousStatus } }"
)
PRODUCT_CHANGED = "subscription($ids: [ID!]!) { productChanged(productIds: $ids) { productId stock } }"
CREATE_CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId } }"
PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId version } }"
SET_STATUS = "mutation($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) { version } }"


EVENT_WITHIN = 30.0
"""How long an expected event may take: it returns as soon as the event arrives, so a generous bound costs
nothing when things go well, and a busy machine (a stream polled with backoff, three test workers) is not a
failure."""


def token(sub: str, *groups: str) -> str:
    return f"Bearer {shared_issuer().token(sub, groups)}"


def customer_with_order(api: Api) -> tuple[str, dict[str, Any]]:
    """A new customer (bound to a new identity) with one PENDING order: its identity's sub, and the order."""
    sub = f"live-{uuid.uuid4().hex[:10]}"
    headers = bearer(shared_issuer().token(sub))
    api.data_of(CREATE_CUSTOMER, {"i": {"email": f"{sub}@example.com", "name": "Live"}}, headers)
    product = create_product(api, stock=1000)
    order = api.data_of(PLACE, {"i": {"items": [{"productId": product["productId"], "quantity": 1}]}}, headers)
    return sub, order["placeOrder"]


async def event_with(client: LiveClient, field: str, status: str) -> dict[str, Any]:
    """The first event showing `status`: a subscription may also see a change written just before it started
    (the order's creation here), since the stream delivers a write a moment after it is made."""
    for _ in range(3):
        message = await client.next("1", within=EVENT_WITHIN)
        if message["type"] != "next" or message["payload"]["data"][field]["status"] == status:
            return message
    raise AssertionError(f"no {status} event")


async def subscribed(url: str, authorization: str | None, query: str, variables: dict[str, Any]) -> LiveClient:
    before = await active_subscriptions(url)
    client = await LiveClient.connect(url, authorization)
    await client.subscribe("1", query, variables)
    await until_subscribed(url, before + 1)
    return client


def test_a_mutation_reaches_the_owner_and_staff_with_the_previous_status(api: Api, live_url: str) -> None:
    sub, order = customer_with_order(api)

    async def run() -> tuple[dict[str, Any], dict[str, Any], float]:
        owner = await subscribed(live_url, token(sub), ORDER_CHANGED, {"id": order["orderId"]})
        staff = await subscribed(live_url, token("live-staff", "staff"), ORDERS_CHANGED, {"s": "PAID"})
        started = time.perf_counter()
        await asyncio.to_thread(
            api.data_of, SET_STATUS, {"i": {"orderId": order["orderId"], "status": "PAID", "expectedVersion": 1}}
        )
        mine = await event_with(owner, "orderChanged", "PAID")
        theirs = await staff.next("1", within=EVENT_WITHIN)
        elapsed = time.perf_counter() - started
        await owner.close()
        await staff.close()
        return mine, theirs, elapsed

    mine, theirs, elapsed = asyncio.run(run())
    assert mine["type"] == "next", mine
    changed = mine["payload"]["data"]["orderChanged"]
    assert (changed["orderId"], changed["status"], changed["version"]) == (order["orderId"], "PAID", 2)
    assert changed["items"][0]["quantity"] == 1
    assert changed["items"][0]["product"]["name"]
    assert theirs["payload"]["data"]["ordersChanged"] == {
        "order": {"orderId": order["orderId"], "status": "PAID"},
        "previousStatus": "PENDING",
    }
    assert elapsed < 2


def test_a_write_that_bypasses_the_service_reaches_subscribers(api: Api, live_url: str) -> None:
    """As a backfill or the console would: UpdateItem straight on the Orders table."""
    _, order = customer_with_order(api)

    async def write_directly() -> None:
        async with open_dynamo(api.settings) as dynamo:
            await dynamo.call(
                "update_item",
                TableName=ORDERS.table.physical_name(api.settings.table_prefix),
                Key={"OrderId": {"S": order["orderId"]}},
                UpdateExpression="SET #s = :s",
                ExpressionAttributeNames={"#s": ORDERS.attribute("status")},
                ExpressionAttributeValues={":s": {"S": "SHIPPED"}},
            )

    async def run() -> dict[str, Any]:
        staff = await subscribed(live_url, token("live-admin", "admin"), ORDERS_CHANGED, {"s": "SHIPPED"})
        await write_directly()
        event = await staff.next("1", within=EVENT_WITHIN)
        await staff.close()
        return event

    event = asyncio.run(run())
    assert event["payload"]["data"]["ordersChanged"] == {
        "order": {"orderId": order["orderId"], "status": "SHIPPED"},
        "previousStatus": "PENDING",
    }


def test_another_customer_gets_nothing_of_an_order(api: Api, live_url: str) -> None:
    sub_a, order = customer_with_order(api)
    sub_b, _ = customer_with_order(api)

    async def run() -> tuple[dict[str, Any], dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
        b = await LiveClient.connect(live_url, token(sub_b))
        await b.subscribe("mine", ORDER_CHANGED, {"id": order["orderId"]})
        refused = await b.next("mine")
        await b.subscribe("all", ORDERS_CHANGED, {})
        forbidden = await b.next("all")
        anonymous = await LiveClient.connect(live_url)
        await anonymous.subscribe("all", ORDERS_CHANGED, {})
        unauthenticated = await anonymous.next("all")
        # A's order changes: B's connection, still open, receives nothing about it.
        a = await subscribed(live_url, token(sub_a), ORDER_CHANGED, {"id": order["orderId"]})
        await asyncio.to_thread(
            api.data_of, SET_STATUS, {"i": {"orderId": order["orderId"], "status": "PAID", "expectedVersion": 1}}
        )
        assert (await a.next("1", within=EVENT_WITHIN))["type"] == "next"
        await asyncio.sleep(0.5)
        leaked = []
        for queue in b.messages.values():
            while not queue.empty():
                message = queue.get_nowait()
                if message["type"] != "complete":  # the refused subscription's end
                    leaked.append(message)
        for client in (a, b, anonymous):
            await client.close()
        return refused, forbidden, unauthenticated, leaked

    refused, forbidden, unauthenticated, leaked = asyncio.run(run())
    assert error_codes(refused) == ["NOT_FOUND"]
    assert error_codes(forbidden) == ["FORBIDDEN"]
    assert error_codes(unauthenticated) == ["UNAUTHENTICATED"]
    assert leaked == []


@pytest.mark.parametrize("authorization", ["Bearer not.a.token", "Basic abc", token("x")[:-6] + "AAAAAA"])
def test_an_invalid_token_closes_the_socket_with_4403(live_url: str, authorization: str) -> None:
    async def run() -> int | None:
        try:
            client = await LiveClient.connect(live_url, authorization)
        except ConnectionRefusedError as refused:
            return int(refused.args[0])
        await client.close()
        return None

    assert asyncio.run(run()) == 4403


def test_fifty_rapid_updates_arrive_in_write_order(api: Api, live_url: str) -> None:
    product = create_product(api, stock=1000)

    async def run() -> list[int]:
        client = await subscribed(live_url, None, PRODUCT_CHANGED, {"ids": [product["productId"]]})
        version = product["version"]
        for stock in range(1, 51):
            await asyncio.to_thread(
                api.data_of,
                UPDATE_PRODUCT,
                {"input": {"productId": product["productId"], "expectedVersion": version, "stock": stock}},
            )
            version += 1
        stocks: list[int] = []
        while len(stocks) < 50:
            stock = (await client.next("1", within=EVENT_WITHIN))["payload"]["data"]["productChanged"]["stock"]
            if not (stocks == [] and stock == 1000):  # the creation, written just before (see event_with)
                stocks.append(stock)
        await client.close()
        return stocks

    assert asyncio.run(run()) == list(range(1, 51))


FAN_OUT_UPDATES = count("FAN_OUT_UPDATES", quick=30, thorough=100)
"""Updates the 200 subscribers each get: the fan-out's concurrency is the subscribers, so a quick run sends fewer."""


def test_two_hundred_subscribers_each_get_every_update_or_are_closed(api: Api, live_url: str) -> None:
    """20 connections (one identity each) x 10 subscriptions to one product; FAN_OUT_UPDATES updates."""
    product = create_product(api, stock=1000)

    async def run() -> list[list[int] | str]:
        before = await active_subscriptions(live_url)
        clients = [await LiveClient.connect(live_url, token(f"fan-{n}")) for n in range(20)]
        for client in clients:
            for number in range(10):
                await client.subscribe(str(number), PRODUCT_CHANGED, {"ids": [product["productId"]]})
        await until_subscribed(live_url, before + 200)
        version = product["version"]
        for stock in range(1, FAN_OUT_UPDATES + 1):
            await asyncio.to_thread(
                api.data_of,
                UPDATE_PRODUCT,
                {"input": {"productId": product["productId"], "expectedVersion": version, "stock": stock}},
            )
            version += 1

        async def collect(client: LiveClient, operation_id: str) -> list[int] | str:
            stocks: list[int] = []
            while len(stocks) < FAN_OUT_UPDATES:
                message = await client.next(operation_id, within=EVENT_WITHIN)
                if message["type"] != "next" or message["payload"].get("errors"):
                    return f"closed: {error_codes(message)}"  # closed for falling behind: allowed, never silent
                stock = message["payload"]["data"]["productChanged"]["stock"]
                # The product's creation (stock 1000) was written before anyone subscribed, but on a busy machine
                # its stream record can land after the reader took its starting position: an earlier change sent
                # late is allowed, a later one missed is not.
                if not (stocks == [] and stock == 1000):
                    stocks.append(stock)
            return stocks

        results = await asyncio.gather(*(collect(c, str(n)) for c in clients for n in range(10)))
        for client in clients:
            await client.close()
        return list(results)

    results = asyncio.run(run())
    assert len(results) == 200
    complete = [result for result in results if isinstance(result, list)]
    wrong = [result for result in complete if result != list(range(1, FAN_OUT_UPDATES + 1))]
    assert wrong == [], f"{len(wrong)} subscribers got another sequence, e.g. {wrong[0]}"
    closed = [result for result in results if isinstance(result, str)]
    assert all(result == "closed: ['UNAVAILABLE']" for result in closed), closed
    # At this pace nobody falls a whole queue (100) behind: what the full count (TEST_THOROUGH) puts to the test.
    assert len(complete) == 200


def test_two_instances_each_read_the_stream_and_both_deliver(api: Api, live_url: str) -> None:
    from tests.backends import service_process

    _, order = customer_with_order(api)
    with service_process(api.settings, "service-second.log") as second_url:

        async def run() -> list[dict[str, Any]]:
            staff = [
                await subscribed(url, token("live-staff", "staff"), ORDERS_CHANGED, {"s": "PAID"})
                for url in (live_url, second_url)
            ]
            await asyncio.to_thread(
                api.data_of, SET_STATUS, {"i": {"orderId": order["orderId"], "status": "PAID", "expectedVersion": 1}}
            )
            events = [await client.next("1", within=EVENT_WITHIN) for client in staff]
            for client in staff:
                await client.close()
            return events

        events = asyncio.run(run())
    assert [event["payload"]["data"]["ordersChanged"]["order"]["orderId"] for event in events] == [order["orderId"]] * 2


async def dynamodb_calls(url: str) -> float:
    """The service's DynamoDB requests so far, from /metrics (its stream readers use their own client), but its
    reads of the migration's phase: every MIGRATION_POLL_SECONDS, whatever the events (one fell inside a count)."""
    return await metric_total(url, "dynamodb_calls_total", unless=f'table="{MIGRATION.table.name}"')


def test_an_order_event_with_its_items_and_products_costs_two_requests(api: Api, live_url: str) -> None:
    """The order comes from the stream image; its items and their products are read once each, for this event."""
    sub, order = customer_with_order(api)

    async def run() -> tuple[dict[str, Any], float]:
        owner = await subscribed(live_url, token(sub), ORDER_CHANGED, {"id": order["orderId"]})

        async def write_around_the_service(attribute: str, value: dict[str, str]) -> None:
            async with open_dynamo(api.settings) as dynamo:  # a write the service does not make: not counted
                await dynamo.call(
                    "update_item",
                    TableName=ORDERS.table.physical_name(api.settings.table_prefix),
                    Key={"OrderId": {"S": order["orderId"]}},
                    UpdateExpression="SET #a = :v",
                    ExpressionAttributeNames={"#a": ORDERS.attribute(attribute)},
                    ExpressionAttributeValues={":v": value},
                )

        # The order's creation may reach the subscriber late (its stream record can land after the reader took
        # its position). Events of one item arrive in write order, so once a marker written now has arrived,
        # anything earlier has been answered and counted: the count starts after it.
        await write_around_the_service("version", {"N": "2"})
        while (await owner.next("1", within=EVENT_WITHIN))["payload"]["data"]["orderChanged"]["version"] != 2:
            pass
        before = await dynamodb_calls(live_url)
        await write_around_the_service("status", {"S": "PAID"})
        event = await event_with(owner, "orderChanged", "PAID")
        spent = await dynamodb_calls(live_url) - before
        await owner.close()
        return event, spent

    event, spent = asyncio.run(run())
    assert event["payload"]["data"]["orderChanged"]["items"][0]["product"]["name"]
    assert spent == 2
