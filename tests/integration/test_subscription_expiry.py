"""A connection lives no longer than its token (SPEC section 10), against uvicorn, on DynamoDB Local only: the
expiry is decided above DynamoDB (a timer on the connection, a check per outgoing message), which only carries the
changes; the streams' delivery on both backends is test_subscriptions.py's subject.

The service here runs with AUTH_CLOCK_SKEW=0, so a token stops being accepted at its `exp` exactly and
a token of a few seconds makes a quick test. A change made after the expiry reaches a control subscriber
with a long-lived token, and not the subscribers whose token expired: they are closed with 4403.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import jwt
import pytest

from graphql_api.graphql.connection import TOKEN_EXPIRED_CLOSE_CODE
from tests.integration.test_subscriptions import (
    ORDER_CHANGED,
    ORDERS_CHANGED,
    SET_STATUS,
    customer_with_order,
    subscribed,
    token,
)
from tests.issuer import shared_issuer
from tests.live_client import LiveClient, error_codes
from tests.support import Api

pytestmark = pytest.mark.one_backend  # tokens and the socket's lifetime: decided above DynamoDB

LIFETIME = 6
"""Seconds: long enough to subscribe and see one change on a slow machine, short enough to wait out."""


@pytest.fixture(scope="module")
def strict_url(api: Api) -> Iterator[str]:
    """The service in its own process, on the same tables, with no leeway on a token's expiry."""
    from tests.backends import service_process

    with ExitStack() as stack:
        with pytest.MonkeyPatch.context() as patch:
            patch.setenv("AUTH_CLOCK_SKEW", "0")  # read by the child process when it starts
            url = stack.enter_context(service_process(api.settings, "service-expiry.log"))
        yield url


def short_token(sub: str, *groups: str) -> tuple[str, float]:
    """A bearer token that expires LIFETIME seconds from now, and its `exp`."""
    issued = shared_issuer().token(sub, groups, lifetime=LIFETIME)
    return f"Bearer {issued}", float(jwt.decode(issued, options={"verify_signature": False})["exp"])


async def event_showing(client: LiveClient, field: str, order_id: str, status: str, within: float) -> dict[str, Any]:
    """The first `next` of operation "1" in which the order shows `status` (earlier changes are skipped)."""
    deadline = time.monotonic() + within
    while True:
        message = await client.next("1", within=max(0.0, deadline - time.monotonic()))
        assert message["type"] == "next", message
        changed = message["payload"]["data"][field]
        order = changed.get("order", changed)
        if (order["orderId"], order["status"]) == (order_id, status):
            return message


def shown_statuses(client: LiveClient, field: str) -> list[str]:
    """The statuses in every message operation "1" has received and nobody has read yet."""
    queue = client.messages.get("1")
    statuses = []
    while queue is not None and not queue.empty():
        message = queue.get_nowait()
        if message["type"] == "next":
            changed = message["payload"]["data"][field]
            statuses.append(changed.get("order", changed)["status"])
    return statuses


def test_an_expired_token_gets_no_change_and_its_connection_is_closed_with_4403(api: Api, strict_url: str) -> None:
    sub, order = customer_with_order(api)
    order_id = order["orderId"]

    def set_status(status: str, version: int) -> None:
        api.data_of(SET_STATUS, {"i": {"orderId": order_id, "status": status, "expectedVersion": version}})

    async def run() -> dict[str, Any]:
        # The control first: it starts the stream reader, so the short tokens' seconds go to the test itself.
        control = await subscribed(strict_url, token("expiry-control", "staff"), ORDERS_CHANGED, {})
        owner_token, expires = short_token(sub)
        staff_token, staff_expires = short_token("expiry-staff", "staff")
        owner = await subscribed(strict_url, owner_token, ORDER_CHANGED, {"id": order_id})
        staff = await subscribed(strict_url, staff_token, ORDERS_CHANGED, {})
        idle = await LiveClient.connect(strict_url, owner_token)  # no operation: closed all the same

        # Before the expiry every subscriber gets the change: these subscriptions work.
        await asyncio.to_thread(set_status, "PAID", 1)
        before = [
            await event_showing(owner, "orderChanged", order_id, "PAID", within=LIFETIME),
            await event_showing(staff, "ordersChanged", order_id, "PAID", within=LIFETIME),
            await event_showing(control, "ordersChanged", order_id, "PAID", within=LIFETIME),
        ]
        paid_seen_at = time.time()

        # A change made once the tokens have expired: the control gets it, the others must not.
        # Waiting for the clock itself to pass both `exp` (a condition, not a guess at how long anything takes).
        await asyncio.sleep(max(expires, staff_expires) - time.time() + 0.05)
        await asyncio.to_thread(set_status, "SHIPPED", 2)
        after = await event_showing(control, "ordersChanged", order_id, "SHIPPED", within=10)
        closes = [await client.until_closed(within=10) for client in (owner, staff, idle)]
        leaked = shown_statuses(owner, "orderChanged") + shown_statuses(staff, "ordersChanged")
        closed_at = [client.closed_at for client in (owner, staff, idle)]

        # Removed from the staff group: the fresh token has no group, and ordersChanged refuses it.
        demoted = await LiveClient.connect(strict_url, token("expiry-staff"))
        await demoted.subscribe("1", ORDERS_CHANGED, {})
        refused = await demoted.next("1", within=10)
        control_open = control.closed_with is None
        for client in (control, owner, staff, idle, demoted):
            await client.close()
        return {
            "before": before,
            "paid_seen_at": paid_seen_at,
            "expires": min(expires, staff_expires),
            "after": after,
            "closes": closes,
            "closed_at": closed_at,
            "leaked": leaked,
            "refused": refused,
            "control_open": control_open,
        }

    outcome = asyncio.run(run())
    assert outcome["paid_seen_at"] < outcome["expires"], "the change before the expiry came too late to tell"
    assert outcome["after"]["payload"]["data"]["ordersChanged"]["previousStatus"] == "PAID"
    assert outcome["leaked"] == []  # nothing after the expiry, not even the SHIPPED change
    assert outcome["closes"] == [TOKEN_EXPIRED_CLOSE_CODE] * 3
    assert all(moment is not None and moment >= outcome["expires"] for moment in outcome["closed_at"])
    assert outcome["control_open"]
    assert error_codes(outcome["refused"]) == ["FORBIDDEN"]
