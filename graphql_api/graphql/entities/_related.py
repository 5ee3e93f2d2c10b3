"""Relationship fields, one helper per kind: a related object by key, and a related listing.

`related_object(CUSTOMERS, "customer_id", Customer)` is `Order.customer`: the object whose key the parent
holds, loaded through the request's loaders (batched into BatchGetItem), null when it is gone.
`related_listing(reviews.OF_PRODUCT, "product_id", Review)` is `Product.reviews`: the listing of the
parent's key, one page through `paginate` (`first`, `after`). A type in an import cycle is named with
`LazyType("Customer", "graphql_api.graphql.entities.customer")`, resolved when the schema is built.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated, Any, Optional, TypeVar

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.entity import Entity, Listing
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.filters import (
    PARENT,
    argument_of,
    condition_of,
    explained,
    filter_argument,
    order_argument,
    order_of,
)
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, listing_id, paginate, read_page
from graphql_api.graphql.price import costs
from graphql_api.planner import plan

D = TypeVar("D", bound=DomainType)

KeptCount = Callable[[Any, Info], Awaitable[int | None]]
"""How a listing's kept count is read from its parent and the request (a counter)."""


async def _kept(root: Any, info: Info, total_count: str | KeptCount | None) -> int | None:
    if total_count is None:
        return None
    if isinstance(total_count, str):
        kept: int | None = getattr(root, total_count)
        return kept
    return await total_count(root, info)


Node = type[DomainType] | LazyType[Any, Any]
"""A GraphQL type over an entity's dataclass, or a lazy reference to one."""


def _class(node: Node) -> type[DomainType]:
    return node.resolve_type() if isinstance(node, LazyType) else node


async def load_one(info: Info, entity: Entity[Any], key: Any, node: type[D]) -> D | None:
    """The object of `entity` with this key as a `node`, through the request's loaders; None if there is none."""
    found = await info.context.loaders.one(entity, key)
    return node.from_domain(found) if found else None


def related_object(
    entity: Entity[Any], key: str, node: Node, *, prefetched: str | None = None, description: str | None = None
) -> Any:
    """A field: the `entity` object whose key is the parent's attribute `key`, or null.

    `prefetched` names the parent's `Prefetched` attribute a page may have filled ahead (then no load here).
    """

    def resolve(root: Any, info: Info) -> Any:
        if prefetched is not None:
            ahead: Prefetched[Any] | None = getattr(root, prefetched)
            if ahead is not None:
                return ahead.value()
        # A coroutine: graphql-core awaits what a resolver returns, a plain value it takes as it is.
        return load_one(info, entity, getattr(root, key), _class(node))

    return strawberry.field(
        resolver=resolve,
        graphql_type=Optional[node],  # noqa: UP045
        description=description,
        metadata=costs("load"),
    )


def related_listing(
    listing: Listing[Any],
    key: str,
    node: type[DomainType],
    *,
    total_count: str | KeptCount | None = None,
    count_keys: int = 0,
    description: str | None = None,
) -> Any:
    """A field: one page of `listing` for the parent's attribute `key`, as a connection of `node`s, with `filter`
    and `orderBy` (graphql_api.graphql.filters) planned onto this listing.

    `total_count` names the parent's attribute that keeps the listing's count (never counted), or reads it
    (`stats.kept_by`: the parent's counter, whose `count_keys` shards the cost estimate prices).
    """
    entity = listing.entity

    async def resolve(
        root: Any,
        info: Info,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
        filter: Any = None,
        order_by: Any = None,
    ) -> Any:
        condition = condition_of(filter, entity)
        return await paginate(
            info,
            listing,
            getattr(root, key),
            node.from_domain,
            first=first,
            after=after,
            last=last,
            before=before,
            condition=condition,
            order=order_of(order_by, entity),
            # The kept count is the unfiltered listing's: not read for a filtered one.
            total_count=None if condition is not None else await _kept(root, info, total_count),
        )

    resolve.__annotations__ |= _filter_annotations(entity, node)
    connection: Any = Connection
    return strawberry.field(
        resolver=resolve,
        graphql_type=connection[node],
        description=description,
        metadata=costs("listing", filtered_by=("filter",), count_keys=count_keys)
        | explained(
            lambda arguments: plan(
                [listing],
                condition_of(argument_of(arguments, "filter"), entity),
                order_of(argument_of(arguments, "order_by"), entity),
                partition=PARENT,
            )
        ),
    )


def _filter_annotations(entity: Entity[Any], node: type[DomainType]) -> dict[str, Any]:
    """The `filter` and `orderBy` arguments of a resolver made here, typed for its entity."""
    return {
        "filter": Annotated[Any, filter_argument(entity, node.__name__)],
        "order_by": Annotated[Any, order_argument(entity, node.__name__)],
    }


def list_field(
    entity: Entity[Any],
    node: type[DomainType],
    *,
    extensions: list[Any],
    description: str,
    finish: Callable[[Info, Any], Awaitable[Any]] | None = None,
) -> Any:
    """A root field listing `entity` (`listOrders`): `filter` planned onto the best of its listings, never a scan
    (graphql_api.planner), `orderBy` on that listing's sort key; `finish` completes a page (prefetching)."""

    async def resolve(
        info: Info,
        filter: Any = None,
        order_by: Any = None,
        first: int | None = DEFAULT_FIRST,
        after: str | None = None,
        last: int | None = None,
        before: str | None = None,
    ) -> Any:
        condition, order = condition_of(filter, entity), order_of(order_by, entity)
        chosen = plan(entity.listings, condition, order)
        identity = listing_id(f"{info.path.typename}.{info.field_name}", condition, order)
        page = await read_page(
            info, chosen, node.from_domain, first=first, after=after, last=last, before=before, identity=identity
        )
        return page if finish is None else await finish(info, page)

    resolve.__annotations__ |= _filter_annotations(entity, node)
    connection: Any = Connection
    return strawberry.field(
        resolver=resolve,
        graphql_type=connection[node],
        description=description,
        extensions=extensions,
        metadata=costs("listing", filtered_by=("filter",), spread=True)
        | explained(
            lambda arguments: plan(
                entity.listings,
                condition_of(argument_of(arguments, "filter"), entity),
                order_of(argument_of(arguments, "order_by"), entity),
            )
        ),
    )
