"""A subscription's changes (SPEC section 10): the writes of one entity, from its table's stream.

Every change comes from DynamoDB Streams, so writes made by anyone (a mutation, a backfill, another
service, the console) reach subscribers. Access is checked when subscribing and again for every event,
against the identity of the connection's token (an order that moves to another customer, were that
possible, stops being sent). Once that token has expired no event is answered: the subscription ends and
the connection is closed with 4403 (graphql_api.graphql.connection, which also drops any message racing
the close). Each event is answered with fresh loaders, so its nested fields (`items`, `items.product`) are
read for that event, never taken from an earlier one's cache: an orderChanged event with its items and
their products costs 2 requests.

`initial: true` (orderChanged, productChanged) makes the first events the current state: read, through
fresh loaders (strongly consistent), once the subscriber is registered and its reader ready. A write is then
either in that state or delivered after it, so "subscribe, then see every later change" holds even though
graphql-transport-ws never says when a subscription is live. A change the state already shows (its version
not above the state's) is not sent again.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import strawberry

from graphql_api.entity import Entity
from graphql_api.errors import Unavailable
from graphql_api.graphql.connection import ConnectionContext
from graphql_api.graphql.context import Info
from graphql_api.live.hub import Change

T = TypeVar("T")


INITIAL_ARGUMENT = strawberry.argument(
    description="true: the first events are the current state, read once the subscription is live, so that no "
    "later change is missed (a change that state already shows is not sent again)."
)


@dataclass(frozen=True)
class Initial(Generic[T]):
    """The current state a subscription starts with (`initial: true`)."""

    read: Callable[[], Awaitable[Sequence[T]]]
    """The items as they are now, read through the context's (fresh) loaders."""
    version: Callable[[T], int]
    """An item's version: a change at or below the state's version is already shown."""


async def watch(
    info: Info, entity: Entity[T], matches: Callable[[T, T | None], bool], initial: Initial[T] | None = None
) -> AsyncGenerator[tuple[T, T | None], None]:
    """The writes of `entity` that match, as (item after, item before or None), each with fresh loaders;
    with `initial`, first the current state (each item as (item, None)).

    Deletions are not sent: no subscription asks for them (orders and products are never deleted).
    """
    live = info.context.live
    if live is None:
        raise Unavailable("live updates are not available on this endpoint")
    info.context.subscriptions_started += 1

    def wanted(change: Change[T]) -> bool:
        return change.new is not None and matches(change.new, change.old)

    async with live.hub.subscribe(entity, wanted) as subscriber:
        shown: dict[tuple[Any, ...], int] = {}
        if initial is not None:  # read only now: a write is in this state or queued for the subscriber
            info.context.fresh_loaders()
            for item in await initial.read():
                shown[entity.key_of(item)] = initial.version(item)
                info.context.events_sent += 1
                yield item, None
        async for change in subscriber.changes():
            if change.new is None:
                continue
            if shown and initial is not None:
                state = shown.get(entity.key_of(change.new))
                if state is not None and initial.version(change.new) <= state:
                    continue  # written before the state was read: the first event showed it
            if isinstance(info.context, ConnectionContext) and info.context.token_expired():
                return  # the connection's close code says why (no event is answered past the token's expiry)
            info.context.fresh_loaders()
            info.context.events_sent += 1
            yield change.new, change.old
