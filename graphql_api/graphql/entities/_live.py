"""A subscription's changes (SPEC section 10): the writes of one entity, from its table's stream.

Every change comes from DynamoDB Streams, so writes made by anyone (a mutation, a backfill, another
service, the console) reach subscribers. Access is checked when subscribing and again for every event,
against the identity of the connection's token (an order that moves to another customer, were that
possible, stops being sent). Once that token has expired no event is answered: the subscription ends and
the connection is closed with 4403 (graphql_api.graphql.connection, which also drops any message racing
the close). Each event is answered with fresh loaders, so its nested fields (`items`, `items.product`) are
read for that event, never taken from an earlier one's cache: an orderChanged event with its items and
their products costs 2 requests.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from typing import TypeVar

from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.graphql.connection import ConnectionContext
from graphql_api.graphql.context import Info
from graphql_api.live.hub import Change

T = TypeVar("T")


async def watch(
    info: Info, entity: Entity[T], matches: Callable[[T, T | None], bool]
) -> AsyncGenerator[tuple[T, T | None], None]:
    """The writes of `entity` that match, as (item after, item before or None), each with fresh loaders.

    Deletions are not sent: no subscription asks for them (orders and products are never deleted).
    """
    live = info.context.live
    if live is None:
        raise Unavailable("live updates are not available on this endpoint")
    info.context.subscriptions_started += 1

    def wanted(change: Change[T]) -> bool:
        return change.new is not None and matches(change.new, change.old)

    async with live.hub.subscribe(entity, wanted) as subscriber:
        async for change in subscriber.changes():
            if change.new is None:
                continue
            if isinstance(info.context, ConnectionContext) and info.context.token_expired():
                return  # the connection's close code says why (no event is answered past the token's expiry)
            info.context.fresh_loaders()
            info.context.events_sent += 1
            yield change.new, change.old
