"""Full pages from a DynamoDB Query, whatever filter applies after the key condition."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.tables import Index, Table

T = TypeVar("T")

Position = dict[str, Any]
"""Where an item sits in a listing: the attributes of DynamoDB's LastEvaluatedKey."""

# Without a filter a page of `first` needs `first + 1` items (the extra one tells hasNextPage).
# With a filter, read larger slices so that sparse matches do not cost a request each.
FILTERED_SLICE = 100


@dataclass(frozen=True)
class Page(Generic[T]):
    entries: list[tuple[T, Position]]
    has_next: bool
    resume_at: Position | None = None
    """Set only when the read budget ran out before any match: where the next page starts."""


@dataclass(frozen=True)
class Listing:
    """A Query on one index: the key condition, an optional filter, and the direction."""

    table: Table
    index: Index | None
    key_condition: str
    values: dict[str, Any]
    names: dict[str, str] | None = None
    filter: str | None = None
    newest_first: bool = False


async def query_page(
    dynamo: Dynamo,
    listing: Listing,
    *,
    first: int,
    after: Position | None,
    read_budget: int,
    from_item: Callable[[Item], T],
) -> Page[T]:
    """Read until `first` matches (plus one to know whether more follow) or the end of the listing.

    `read_budget` bounds the Query requests one page may make when a filter discards items; if
    it runs out the page ends early with hasNextPage true, so that a request costs bounded work.
    """
    table = listing.table
    positional = table.position_attributes(listing.index)
    params: dict[str, Any] = {
        "TableName": table.physical_name(dynamo.table_prefix),
        "KeyConditionExpression": listing.key_condition,
        "ExpressionAttributeValues": serialize_item(listing.values),
        "ScanIndexForward": not listing.newest_first,
        "Limit": FILTERED_SLICE if listing.filter else first + 1,
    }
    if listing.index is not None:
        params["IndexName"] = listing.index.name
    if listing.names:
        params["ExpressionAttributeNames"] = listing.names
    if listing.filter:
        params["FilterExpression"] = listing.filter

    matches: list[Item] = []
    start = after
    for _ in range(read_budget):
        if start is not None:
            params["ExclusiveStartKey"] = serialize_item(start)
        response = await dynamo.call("query", **params)
        matches.extend(deserialize_item(attributes) for attributes in response.get("Items", []))
        last_key = response.get("LastEvaluatedKey")
        if len(matches) > first or not last_key:
            break
        start = deserialize_item(last_key)
    else:
        if not matches:
            return Page(entries=[], has_next=True, resume_at=start)
        return Page(entries=_entries(matches, positional, from_item), has_next=True)

    has_next = len(matches) > first
    return Page(entries=_entries(matches[:first], positional, from_item), has_next=has_next)


def _entries(
    items: list[Item], positional: tuple[str, ...], from_item: Callable[[Item], T]
) -> list[tuple[T, Position]]:
    return [(from_item(item), {name: item[name] for name in positional}) for item in items]
