"""`initial: true` (issue 25, found while measuring 2): a subscription's first events are the current state.

graphql-transport-ws never says when a subscription is live, so a client that subscribes and then writes at
once could miss its own first writes. With `initial: true` the state is read once the subscriber is registered:
every write is in that state or arrives after it, once, in order. Against uvicorn (`live_url`), both backends.
"""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from tests.issuer import bearer, shared_issuer
from tests.live_client import LiveClient
from tests.operations import UPDATE_PRODUCT, create_product
from tests.support import Api

PRODUCT_CHANGED = (
    "subscription($ids: [ID!]!) { productChanged(productIds: $ids, initial: true) { productId stock version } }"
)
ORDER_CHANGED = "subscription($id: ID!) { orderChanged(orderId: $id, initial: true) { orderId status version } }"
CREATE_CUSTOMER = "mutation($i: CreateCustomerInput!) { createCustomer(input: $i) { customerId } }"
PLACE = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { orderId version } }"
SET_STATUS = "mutation($i: UpdateOrderStatusInput!) { updateOrderStatus(input: $i) { version } }"
EVENT_WITHIN = 30.0
"""Generous: an event returns as soon as it arrives; a busy machine is not a failure."""


def token(sub: str) -> str:
    return f"Bearer {shared_issuer().token(sub)}"


async def event(client: LiveClient, field: str) -> dict[str, Any]:
    message = await client.next("1", within=EVENT_WITHIN)
    assert message["type"] == "next", message
    assert not message["payload"].get("errors"), message
    data: dict[str, Any] = message["payload"]["data"][field]
    return data


def test_subscribe_then_write_at_once_and_see_the_state_then_every_later_change(api: Api, live_url: str) -> None:
    product = create_product(api, stock=1000)
    created, writes = product["version"], 10

    async def run() -> list[dict[str, Any]]:
        client = await LiveClient.connect(live_url)
        await client.subscribe("1", PRODUCT_CHANGED, {"ids": [product["productId"]]})
        for stock in range(1, writes + 1):  # at once: nothing waits for the subscription to be live
            update = {"productId": product["productId"], "expectedVersion": created + stock - 1, "stock": stock}
            await asyncio.to_thread(api.data_of, UPDATE_PRODUCT, {"input": update})
        events = [await event(client, "productChanged")]
        while events[-1]["version"] < created + writes:
            events.append(await event(client, "productChanged"))
        await client.close()
        return events

    first, *later = asyncio.run(run())
    # The state when the subscription went live (before or among the writes), then each later write once, in order.
    assert first["version"] >= created
    assert first["stock"] == (1000 if first["version"] == created else first["version"] - created)
    assert [each["version"] for each in later] == list(range(first["version"] + 1, created + writes + 1))
    assert [each["stock"] for each in later] == [
        version - created for version in range(first["version"] + 1, created + writes + 1)
    ]


def test_the_first_event_comes_without_a_write_and_changes_follow(api: Api, live_url: str) -> None:
    """An order's state arrives as soon as the subscription is live, with nothing written; then its changes."""
    sub = f"initial-{uuid.uuid4().hex[:10]}"
    headers = bearer(shared_issuer().token(sub))
    api.data_of(CREATE_CUSTOMER, {"i": {"email": f"{sub}@example.com", "name": "Initial"}}, headers)
    product = create_product(api, stock=1000)
    order = api.data_of(PLACE, {"i": {"items": [{"productId": product["productId"], "quantity": 1}]}}, headers)
    order = order["placeOrder"]

    async def run() -> list[dict[str, Any]]:
        client = await LiveClient.connect(live_url, token(sub))
        await client.subscribe("1", ORDER_CHANGED, {"id": order["orderId"]})
        state = await event(client, "orderChanged")
        update = {"i": {"orderId": order["orderId"], "status": "PAID", "expectedVersion": order["version"]}}
        await asyncio.to_thread(
            api.data_of, SET_STATUS, update, bearer(shared_issuer().token("initial-staff", ("staff",)))
        )
        changed = await event(client, "orderChanged")
        await client.close()
        return [state, changed]

    state, changed = asyncio.run(run())
    assert state == {"orderId": order["orderId"], "status": "PENDING", "version": order["version"]}
    # Once, whatever the stream still carried: the order's creation (version 1) is not sent after the state.
    assert changed == {"orderId": order["orderId"], "status": "PAID", "version": order["version"] + 1}
