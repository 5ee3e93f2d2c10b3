"""Relationship fields from their two helpers: an object by key through the loaders, a listing (`listed`)."""

from __future__ import annotations

import asyncio
import dataclasses
from dataclasses import dataclass
from typing import Any

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.entity import Entity
from graphql_api.graphql.access import public
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._listed import listed
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.entities._related import related_object
from graphql_api.settings import Settings

SETTINGS = Settings()
"""One for every request: without CURSOR_SECRET each Settings draws its own signing secret."""
THINGS: Any = object()
"""Stands for an entity: the fake loaders below only check that the field passes it on."""


@dataclass(frozen=True)
class Thing:
    holder_id: str
    thing_id: str
    name: str


@public
@strawberry.type
class ThingType(DomainType):
    thing_id: strawberry.ID
    name: str


THING_TABLE = Entity(Thing, "Things", key=("holder_id", "thing_id"))
LISTING = THING_TABLE.listing()


class FakeDynamo:
    """Answers a listing's Query from a list of things, as DynamoDB pages them; notes how it was asked."""

    table_prefix = ""

    def __init__(self, things: list[Thing]) -> None:
        self.things = things
        self.asked: list[tuple[Any, int]] = []

    async def call(self, operation: str, **params: Any) -> dict[str, Any]:
        assert operation == "query"
        hash_value = deserialize_item(params["ExpressionAttributeValues"])[":v0"]
        self.asked.append((hash_value, params["Limit"]))
        mine = [thing for thing in self.things if thing.holder_id == hash_value]
        start = params.get("ExclusiveStartKey")
        if start is not None:
            ids = [thing.thing_id for thing in mine]
            mine = mine[ids.index(deserialize_item(start)["ThingId"]) + 1 :]
        page = mine[: params["Limit"]]
        answer: dict[str, Any] = {"Items": [serialize_item(THING_TABLE.to_item(thing)) for thing in page]}
        if len(mine) > params["Limit"]:
            answer["LastEvaluatedKey"] = serialize_item({"HolderId": hash_value, "ThingId": page[-1].thing_id})
        return answer


DYNAMO = FakeDynamo([Thing("h1", "t1", "one"), Thing("h1", "t2", "two"), Thing("h1", "t3", "three")])


@public
@strawberry.type
class Holder(DomainType):
    holder_id: strawberry.ID
    thing_id: strawberry.ID
    thing_count: int
    _thing: strawberry.Private[Prefetched[ThingType | None] | None] = dataclasses.field(default=None, init=False)

    thing = related_object(THINGS, "thing_id", ThingType, prefetched="_thing", description="by key")
    lazy_thing = related_object(THINGS, "thing_id", LazyType("ThingType", __name__))
    things = listed(LISTING, ThingType, parent_key="holder_id", total_count="thing_count")


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
    dynamo: Any = DYNAMO


SCHEMA = strawberry.Schema(query=Query)


def run(document: str, holder: Holder, loaders: FakeLoaders) -> Any:
    result = asyncio.run(SCHEMA.execute(document, context_value=FakeContext(holder, loaders)))
    return result


def holder(thing_id: str = "t1") -> Holder:
    return Holder(holder_id=strawberry.ID("h1"), thing_id=strawberry.ID(thing_id), thing_count=3)


def test_an_object_by_key_is_loaded_through_the_loaders_with_the_parents_key() -> None:
    loaders = FakeLoaders({"t1": Thing("h1", "t1", "one")})
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
    loaders = FakeLoaders({"t1": Thing("h1", "t1", "one")})
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
    DYNAMO.asked.clear()
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
    assert DYNAMO.asked == [("h1", 3)]  # a page and one more, to know whether more follow

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
    assert DYNAMO.asked == [("h1", 3), ("h1", 3)]
    forged = asyncio.run(
        SCHEMA.execute(document, variable_values={"after": "x.y"}, context_value=FakeContext(holder(), FakeLoaders({})))
    )
    assert forged.errors is not None
    assert "invalid cursor" in forged.errors[0].message


def test_the_helpers_fields_have_the_declared_types_and_arguments() -> None:
    sdl = SCHEMA.as_str()
    assert '  """by key"""\n  thing: ThingType\n' in sdl
    assert "  lazyThing: ThingType\n" in sdl
    assert "  things(first: Int = 20, after: String = null, last: Int = null, before: String = null, " in sdl
    assert "filter: ThingTypeFilter = null, orderBy: ThingTypeOrder = null): ThingTypeConnection!" in sdl
