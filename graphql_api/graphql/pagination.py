"""Relay pagination: one generic connection, one page reader for every listing, and tamper-evident cursors.

A cursor is a position in its listing (each partition's reading position: graphql_api.planner) signed with
HMAC over the listing it came from. An altered cursor, or one from another listing (another customer,
status, category or filter), fails the signature check and is rejected as BAD_USER_INPUT.

`read_page(info, plan, node, ...)` answers one page of a plan as a `Connection[Node]` (`Connection[Order]`
is `OrderConnection` in the schema): the bounds on `first`/`last`, the cursor, the reading and the page
info. The listing fields are declared with graphql_api.graphql.entities._listed; `paginate` pages one
listing of one partition for a resolver of its own.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.types import Info

from graphql_api.clock import format_timestamp
from graphql_api.entity import Listing, Position, Range
from graphql_api.errors import BadUserInput
from graphql_api.graphql.access import follows_parent
from graphql_api.graphql.price import costs
from graphql_api.planner import CURSOR_ATTRIBUTES, All, Condition, Order, Plan, Term, backwards, conjuncts, plan, read

T = TypeVar("T")
N = TypeVar("N")

MAX_FIRST = 100
DEFAULT_FIRST = 20
_MAC_BYTES = 16


@follows_parent
@strawberry.type
class PageInfo:
    """Relay's Cursor Connections PageInfo. With `first`/`after`, `hasPreviousPage` is true exactly when `after` was
    given: the cursor was issued inside this listing, so the reading is past its start (the spec allows true when
    edges before `after` exist; with a filter those read before may all have been filtered out)."""

    has_next_page: bool
    end_cursor: str | None
    has_previous_page: bool = False
    start_cursor: str | None = None
    truncated: bool = strawberry.field(
        default=False,
        description="The read budget ran out before the page was full: endCursor continues where reading stopped.",
    )


def check_first(first: int | None, field: str = "first") -> int:
    """`first` (or `last`) as asked, or the default when it is omitted or null."""
    if first is None:
        return DEFAULT_FIRST
    if not 1 <= first <= MAX_FIRST:
        raise BadUserInput(field, f"must be between 1 and {MAX_FIRST}, got {first}")
    return first


def _sign(secret: str, listing: str, payload: bytes) -> bytes:
    message = listing.encode() + b"\x00" + payload
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()[:_MAC_BYTES]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def encode_cursor(secret: str, listing: str, position: Position) -> str:
    payload = json.dumps(position, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_sign(secret, listing, payload))}"


def decode_cursor(
    secrets: Sequence[str], listing: str, cursor: str, attributes: Sequence[str], field: str = "after"
) -> Position:
    """The position in `cursor`, if it was issued for this very listing under one of `secrets`; else BAD_USER_INPUT.

    Every secret verifies, so cursors signed before a rotation (CURSOR_SECRET=new,old) keep working.
    """
    invalid = BadUserInput(field, "invalid cursor: it was altered or belongs to another listing")
    try:
        encoded_payload, encoded_mac = cursor.split(".")
        payload, mac = _unb64(encoded_payload), _unb64(encoded_mac)
    except (ValueError, binascii.Error):
        raise invalid from None
    if not any(hmac.compare_digest(mac, _sign(secret, listing, payload)) for secret in secrets):
        raise invalid
    position: Any = json.loads(payload)
    if not isinstance(position, dict) or set(position) != set(attributes):
        raise invalid
    return position


def listing_id(*parts: object) -> str:
    """The identity a cursor is bound to: the listing's name and every argument that shapes it."""
    return json.dumps([_listing_part(part) for part in parts])


def _listing_part(part: object) -> str | None:
    if part is None:
        return None
    if isinstance(part, datetime):
        return format_timestamp(part)  # one instant, one listing, whatever its time zone
    return str(part)


@follows_parent
@strawberry.type
class Edge(Generic[N]):
    cursor: str
    node: N


@follows_parent
@strawberry.type
class Connection(Generic[N]):
    edges: list[Edge[N]] = strawberry.field(metadata=costs("edges"))
    page_info: PageInfo
    total_count: int | None = strawberry.field(
        default=None,
        description="Exact: kept by the writes for an unfiltered listing (an attribute of the parent, or a counter); "
        "with a filter, counted when the whole listing fits in the page read; else null.",
    )


async def paginate(
    info: Info[Any, Any],
    listing: Listing[T],
    hash_value: Any,
    node: Callable[[T], N],
    *,
    first: int | None,
    after: str | None,
    last: int | None = None,
    before: str | None = None,
    shape: Sequence[object] = (),
    within: Range | None = None,
    where: dict[str, Any] | None = None,
    condition: Condition | None = None,
    order: Order | None = None,
    total_count: int | None = None,
) -> Connection[N]:
    """One page of `listing` for `hash_value` as a connection of `node(item)`s, filtered and ordered.

    `within` (a range of the sort key), `where` (equalities) and `condition` (a `<Type>Filter`) all become the
    planner's terms on this listing; `order` may reverse its sort key. `shape` names every other argument that
    changes what the listing holds, so a cursor only ever continues the listing it came from. `total_count` is
    the kept count of the unfiltered listing (a filter counts only what one page holds whole).
    """
    full = shaped(listing, within=within, where=where, condition=condition)
    chosen = plan([listing], full, order, partition=hash_value)
    identity = listing_id(f"{info.path.typename}.{info.field_name}", hash_value, *shape, condition, order)
    return await read_page(
        info,
        chosen,
        node,
        first=first,
        after=after,
        last=last,
        before=before,
        identity=identity,
        kept_count=total_count,
    )


def shaped(
    listing: Listing[Any],
    *,
    within: Range | None = None,
    where: Mapping[str, Any] | None = None,
    condition: Condition | None = None,
) -> Condition | None:
    """One condition of a range of the sort key, equalities and a filter (what `paginate` plans)."""
    terms: list[Condition] = [Term(field, "eq", value) for field, value in (where or {}).items()]
    if within is not None and len(listing.keys) > 1:
        sort_field = listing.entity.field_named(listing.keys[1].name)
        if within.start is not None:
            terms.append(Term(sort_field, "gte", within.start))
        if within.end is not None:
            terms.append(Term(sort_field, "lt", within.end))
    joined = [*terms, *conjuncts(condition)]
    return None if not joined else joined[0] if len(joined) == 1 else All(tuple(joined))


async def read_page(
    info: Info[Any, Any],
    chosen: Plan[T],
    node: Callable[[T], N],
    *,
    first: int | None,
    after: str | None,
    identity: str,
    kept_count: int | None = None,
    last: int | None = None,
    before: str | None = None,
) -> Connection[N]:
    """One page of a plan (graphql_api.planner) as a connection, its cursors bound to `identity`: `first` items
    after `after`, or the `last` items before `before` (the listing read backwards, then put back in its order).

    `endCursor` is the last edge's cursor, or, when the read budget ran out before the page was full
    (`truncated`), where the reading stopped: the next page starts there, past the items examined (reading
    backwards, `startCursor` says so for the previous page).
    """
    backward = last is not None or before is not None
    if backward and ((first is not None and first != DEFAULT_FIRST) or after is not None):
        raise BadUserInput("last", "give first and after, or last and before: not both")
    count = check_first(last if backward else first, "last" if backward else "first")
    settings = info.context.settings
    cursor = before if backward else after
    field = "before" if backward else "after"
    position = (
        None if cursor is None else decode_cursor(settings.cursor_secrets, identity, cursor, CURSOR_ATTRIBUTES, field)
    )
    result = await read(
        info.context.dynamo,
        backwards(chosen) if backward else chosen,
        first=count,
        after=position,
        read_budget=settings.filter_read_budget,
    )
    secret = settings.cursor_secrets[0]
    read_edges = [Edge(cursor=encode_cursor(secret, identity, at), node=node(value)) for value, at in result.entries]
    edges = read_edges[::-1] if backward else read_edges
    more = result.has_next or result.truncated
    if chosen.rest is None and chosen.key_term is None and chosen.local is None and kept_count is not None:
        total: int | None = kept_count
    elif cursor is None and not more:
        total = len(edges)  # the whole (filtered) listing fits in this page: counted
    else:
        total = None
    # The far edge's cursor (the Cursor Connections spec); a page cut short by the budget continues where the
    # reading stopped instead, past the items examined beyond its far edge (or with none).
    if result.truncated or not read_edges:
        far = encode_cursor(secret, identity, result.end) if more else None
    else:
        far = read_edges[-1].cursor
    near = read_edges[0].cursor if read_edges else None
    return Connection(
        edges=edges,
        page_info=PageInfo(
            has_next_page=result.has_next if not backward else before is not None,
            end_cursor=near if backward else far,
            has_previous_page=result.has_next if backward else after is not None,
            start_cursor=far if backward else near,
            truncated=result.truncated,
        ),
        total_count=total,
    )
