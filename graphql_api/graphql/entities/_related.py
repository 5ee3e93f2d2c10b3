"""Related objects by key: `related_object(CUSTOMERS, "customer_id", Customer)` is `Order.customer`, the object
whose key the parent holds, loaded through the request's loaders (batched into BatchGetItem), null when it is
gone. A type in an import cycle is named with `LazyType("Customer", "graphql_api.graphql.entities.customer")`,
resolved when the schema is built. Listings under a parent are `_listed.listed(..., parent_key=...)`.
"""

from __future__ import annotations

from typing import Any, Optional, TypeVar

import strawberry
from strawberry.types.lazy_type import LazyType

from graphql_api.entity import Entity
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.entities._prefetched import Prefetched
from graphql_api.graphql.price import costs

D = TypeVar("D", bound=DomainType)

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
