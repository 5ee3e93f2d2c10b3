"""Relationship fields from their two helpers: an object by key through the loaders, a listing through paginate."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any, cast

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.entity import Page
from graphql_api.graphql.access import public
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.entities._related import related_listing, related_object
from graphql_api.settings import Settings

SETTINGS = Settings()
"""One for every request: without CURSOR_SECRET each Settings draws its own signing secret."""
THINGS: Any = object()
"""Stands for an entity: the fake loaders below only check that the field passes it on."""


@dataclass(frozen=True)
class Thing:
    thing_id: str
    name: str


@public
@strawberry.type
class ThingType(DomainType):
    thing_id: strawberry.ID
    name: str


class FakeListing:
    """One page of things per hash value; notes how it was asked."""

    position = ("ThingId",)

    def __init__(self, things: list[Thing]) -> None:
        self.things = things
        self.asked: list[tuple[Any, int]] = []

    async def page(self, dynamo: Any, hash_value: Any, *, first: int, after: Any, **_: Any) -> Page[Thing]:
        self.asked.append((hash_value, first))
        ids = [thing.thing_id for thing in self.things]
        rest = self.things[ids.index(after["ThingId"]) + 1 :] if after else self.things
        entries = [(thing, {"ThingId": thing.thing_id}) for thing in rest[:first]]
        return Page(entries=entries, has_next=len(rest) > first)


LISTING = FakeListing([Thing("t1", "one"), Thing("t2", "two"), Thing("t3", "three")])


@public
@strawberry.type
class Holder(DomainType):
    holder_id: strawberry.ID
    thing_id: strawberry.ID
    thing_count: int
    _thing: strawberry.Private[Prefetched[ThingType | None] | None] = dataclasses.field(default=None, init=False)

    thing = related_object(THINGS, "thing_id", ThingType, prefetched="_thing", description="by key")
    lazy_thing = related_object(THINGS, "thing_id", LazyType("ThingType", __name__))
    things = related_listing(cast(Any, LISTING), "holder_id", ThingType, total_count="thing_count")


@strawberry.type
class Query:
    @strawberry.field
    def holder(self, info: strawberry.Info) -> Holder:
        holder: Holder = info.context.holder
        return holder


class FakeLoaders:
    def __init__(self, found: dict[str, Thing]) -> None:
        self.found = found
        self.loads: list[tuple[Any, str]] = []

    async def one(self, entity: Any, key: str) -> Thing | None:
        self.loads.append((entity, key))
        return self.found.get(key)


@dataclass
class FakeContext:
    holder: Holder
    loaders: FakeLoaders
    settings: Settings = SETTINGS
    dynamo: Any = None


SCHEMA = strawberry.Schema(query=Query)


def run(document: str, holder: Holder, loaders: FakeLoaders) -> Any:
    result = asyncio.run(SCHEMA.execute(document, context_value=FakeContext(holder, loaders)))
    return result


def holder(thing_id: str = "t1") -> Holder:
    return Holder(holder_id=strawberry.ID("h1"), thing_id=strawberry.ID(thing_id), thing_count=3)


def test_an_object_by_key_is_loaded_through_the_loaders_with_the_parents_key() -> None:
    loaders = FakeLoaders({"t1": Thing("t1", "one")})
    result = run("{ holder { thing { thingId name } lazyThing { name } } }", holder(), loaders)
    assert result.errors is None
    assert result.data == {"holder": {"thing": {"thingId": "t1", "name": "one"}, "lazyThing": {"name": "one"}}}
    assert loaders.loads == [(THINGS, "t1"), (THINGS, "t1")]


def test_a_missing_object_is_null() -> None:
    loaders = FakeLoaders({})
    result = run("{ holder { thing { name } lazyThing { name } } }", holder("gone"), loaders)
    assert result.errors is None
    assert result.data == {"holder": {"thing": None, "lazyThing": None}}


def test_a_prefetched_object_costs_no_load_and_a_failed_prefetch_fails_the_field() -> None:
    loaders = FakeLoaders({"t1": Thing("t1", "one")})
    ahead = holder()
    ahead._thing = Prefetched(result=ThingType(thing_id=strawberry.ID("t9"), name="ahead"))
    result = run("{ holder { thing { name } } }", ahead, loaders)
    assert result.data == {"holder": {"thing": {"name": "ahead"}}}
    assert loaders.loads == []

    failed = holder()
    failed._thing = Prefetched(error=RuntimeError("the page's load failed"))
    result = run("{ holder { holderId thing { name } } }", failed, loaders)
    assert result.data == {"holder": {"holderId": "h1", "thing": None}}
    assert result.errors is not None
    assert result.errors[0].message == "the page's load failed"
    assert result.errors[0].path == ["holder", "thing"]
    assert loaders.loads == []


def test_a_listing_pages_the_parents_key_with_first_and_after_and_its_kept_count() -> None:
    LISTING.asked.clear()
    document = "query($after: String) { holder { things(first: 2, after: $after) { totalCount edges { node { name } } "
    document += "pageInfo { hasNextPage endCursor } } } }"
    first = asyncio.run(
        SCHEMA.execute(document, variable_values={"after": None}, context_value=FakeContext(holder(), FakeLoaders({})))
    )
    assert first.errors is None
    things = first.data["holder"]["things"]  # type: ignore[index]
    assert things["totalCount"] == 3
    assert [edge["node"]["name"] for edge in things["edges"]] == ["one", "two"]
    assert things["pageInfo"]["hasNextPage"] is True
    assert LISTING.asked == [("h1", 2)]

    # The cursor is bound to this field's listing (Holder.things): it continues it, and a forged one is refused.
    again = asyncio.run(
        SCHEMA.execute(
            document,
            variable_values={"after": things["pageInfo"]["endCursor"]},
            context_value=FakeContext(holder(), FakeLoaders({})),
        )
    )
    assert again.errors is None
    assert [edge["node"]["name"] for edge in again.data["holder"]["things"]["edges"]] == ["three"]  # type: ignore[index]
    assert LISTING.asked == [("h1", 2), ("h1", 2)]
    forged = asyncio.run(
        SCHEMA.execute(document, variable_values={"after": "x.y"}, context_value=FakeContext(holder(), FakeLoaders({})))
    )
    assert forged.errors is not None
    assert "invalid cursor" in forged.errors[0].message


def test_the_helpers_fields_have_the_declared_types_and_arguments() -> None:
    sdl = SCHEMA.as_str()
    assert '  """by key"""\n  thing: ThingType\n' in sdl
    assert "  lazyThing: ThingType\n" in sdl
    assert "  things(first: Int = 20, after: String = null): ThingTypeConnection!\n" in sdl
