"""Every listing field from one helper: a root list (`listOrders`), a connection under its parent
(`Customer.orders`) and a root connection of one partition (`ordersByStatus(status:)`).

`listed(...)` declares what shapes the listing (where its partition comes from, arguments bounding the sort
key, arguments that are equalities, `filter` and `orderBy`) and makes from it, once: the resolver with the
standard arguments (`first`, `after`, `last`, `before`) and its own, its price for the request budget
(graphql_api.graphql.price) and its plan for `graphql-api explain` (graphql_api.graphql.filters.explained).
The resolver plans the arguments (graphql_api.planner), reads one page (graphql_api.graphql.pagination) and
fills `totalCount` from the parent's attribute or the counter that keeps it, when the listing is unfiltered.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import datetime
from typing import Annotated, Any, Optional

import strawberry

from graphql_api.auth.identity import Role
from graphql_api.entity import Entity, Listing, Range
from graphql_api.graphql.access import STAFF, allow
from graphql_api.graphql.context import Info
from graphql_api.graphql.entities._domain import DomainType
from graphql_api.graphql.filters import (
    PARENT,
    camel,
    condition_of,
    explained,
    filter_argument,
    order_argument,
    order_of,
)
from graphql_api.graphql.pagination import DEFAULT_FIRST, Connection, listing_id, read_page, shaped
from graphql_api.graphql.price import costs
from graphql_api.graphql.selection import selected
from graphql_api.planner import Condition, Plan, plan
from graphql_api.repositories import counters
from graphql_api.repositories.counters import Family

Finish = Callable[[Info, Any], Awaitable[Any]]
"""Completes a page before it is answered (an order page prefetches its lines)."""

_POSITIONAL = inspect.Parameter.POSITIONAL_OR_KEYWORD
_KEYWORD = inspect.Parameter.KEYWORD_ONLY


def filtered_list(
    entity: Entity[Any], node: type[DomainType], roles: frozenset[Role], finish: Finish | None = None
) -> Any:
    """The root field `list<Nodes>`: what a filter selects among all `node`s, on the listing it names."""
    return listed(
        entity.listings,
        node,
        finish=finish,
        description=f"{'Staff and admins: ' if roles == STAFF else ''}{entity.table.name} matching the filter, on "
        "the index it names (never a scan).",
        extensions=allow(roles),
    )


def listed(
    listings: Listing[Any] | Sequence[Listing[Any]],
    node: type[DomainType],
    *,
    parent_key: str | None = None,
    partition: tuple[str, Any] | None = None,
    check_partition: Callable[[Any, str], Any] | None = None,
    where: Sequence[tuple[str, Any]] = (),
    within: tuple[str, str] | None = None,
    total_count: str | Family | None = None,
    finish: Finish | None = None,
    description: str | None = None,
    extensions: list[Any] | None = None,
) -> Any:
    """A field listing `node`s: of `listings` (one: a connection; the entity's: a list planned by its filter).

    The partition is the parent's attribute `parent_key`, or the argument `partition` (its name and type,
    checked by `check_partition`), or, for a list, what the filter's equality names. `where` are arguments
    (name, type) each an equality on the field of that name; `within` two arguments bounding the sort key,
    from (included) and to (excluded). `total_count` is the parent's attribute, or the counter family whose
    member is the partition, that keeps the unfiltered listing's count.
    """
    several = not isinstance(listings, Listing)
    candidates: tuple[Listing[Any], ...] = (listings,) if isinstance(listings, Listing) else tuple(listings)
    entity: Entity[Any] = candidates[0].entity
    node_name = node.__name__

    def condition(arguments: Mapping[str, Any]) -> Condition | None:
        bounds = Range(arguments.get(within[0]), arguments.get(within[1])) if within else None
        equal = {name: arguments[name] for name, _ in where if arguments.get(name) is not None}
        return shaped(
            candidates[0], within=bounds, where=equal, condition=condition_of(arguments.get("filter"), entity)
        )

    def planned(arguments: Mapping[str, Any], key: Any) -> tuple[Plan[Any], str]:
        """The plan of these arguments, and the identity its cursors are bound to (every shaping argument)."""
        shape, order = condition(arguments), order_of(arguments.get("order_by"), entity)
        chosen = plan(candidates, shape, order) if several else plan(candidates, shape, order, partition=key)
        return chosen, listing_id(key, shape, order)

    async def resolve(root: Any, info: Info, **arguments: Any) -> Any:
        key = _partition(root, arguments, parent_key, partition, check_partition)
        chosen, shape = planned(arguments, key)
        identity = f"{info.path.typename}.{info.field_name}:{shape}"
        kept = None if chosen.filtered or chosen.key_term else await _kept(root, info, total_count, key)
        page = await read_page(
            info,
            chosen,
            node.from_domain,
            first=arguments.get("first"),
            after=arguments.get("after"),
            last=arguments.get("last"),
            before=arguments.get("before"),
            identity=identity,
            kept_count=kept,
        )
        return page if finish is None else await finish(info, page)

    parameters = _parameters(entity, node_name, several, partition, where, within)
    resolve.__signature__ = inspect.Signature(parameters, return_annotation=Any)  # type: ignore[attr-defined]
    resolve.__annotations__ = {parameter.name: parameter.annotation for parameter in parameters} | {"return": Any}

    def explain(arguments: Mapping[str, Any]) -> Plan[Any]:
        key = None if several else PARENT if parent_key else (arguments.get(partition[0]) if partition else None)
        return planned({_python_name(name): value for name, value in arguments.items()}, key)[0]

    count_keys = total_count.shards if isinstance(total_count, Family) else 0
    filtered_by = ("filter", *(camel(name) for name, _ in where))
    connection: Any = Connection
    return strawberry.field(
        resolver=resolve,
        graphql_type=connection[node],
        description=description,
        extensions=extensions or [],
        metadata=costs("listing", filtered_by=filtered_by, spread=several, count_keys=count_keys) | explained(explain),
    )


def _parameters(
    entity: Entity[Any],
    node_name: str,
    several: bool,
    partition: tuple[str, Any] | None,
    where: Sequence[tuple[str, Any]],
    within: tuple[str, str] | None,
) -> list[inspect.Parameter]:
    """The resolver's signature, as Strawberry reads it: the schema's arguments, in the order SPEC 13 lists them."""
    shaping = [
        inspect.Parameter(
            "filter", _KEYWORD, default=None, annotation=Annotated[Any, filter_argument(entity, node_name)]
        ),
        inspect.Parameter(
            "order_by", _KEYWORD, default=None, annotation=Annotated[Any, order_argument(entity, node_name)]
        ),
    ]
    paging = [
        inspect.Parameter("first", _KEYWORD, default=DEFAULT_FIRST, annotation=Optional[int]),  # noqa: UP045
        inspect.Parameter("after", _KEYWORD, default=None, annotation=Optional[str]),  # noqa: UP045
        inspect.Parameter("last", _KEYWORD, default=None, annotation=Optional[int]),  # noqa: UP045
        inspect.Parameter("before", _KEYWORD, default=None, annotation=Optional[str]),  # noqa: UP045
    ]
    own = [inspect.Parameter(name, _KEYWORD, default=None, annotation=Optional[kind]) for name, kind in where]  # noqa: UP045
    if within:
        own += [inspect.Parameter(name, _KEYWORD, default=None, annotation=Optional[datetime]) for name in within]  # noqa: UP045
    first = [
        inspect.Parameter("root", _POSITIONAL, annotation=Any),
        inspect.Parameter("info", _POSITIONAL, annotation=Info),
    ]
    if several:
        return [*first, *shaping, *paging]
    required = [inspect.Parameter(partition[0], _KEYWORD, annotation=partition[1])] if partition else []
    return [*first, *required, *paging, *own, *shaping]


def _partition(
    root: Any,
    arguments: Mapping[str, Any],
    parent_key: str | None,
    partition: tuple[str, Any] | None,
    check: Callable[[Any, str], Any] | None,
) -> Any:
    if parent_key is not None:
        return getattr(root, parent_key)
    if partition is None:
        return None
    value = arguments[partition[0]]
    return check(value, partition[0]) if check is not None else value


async def _kept(root: Any, info: Info, total_count: str | Family | None, key: Any) -> int | None:
    """The unfiltered listing's kept count: the parent's attribute, or its counter (read only when asked)."""
    if total_count is None:
        return None
    if isinstance(total_count, str):
        kept: int | None = getattr(root, total_count)
        return kept
    if not selected(info.selected_fields, "totalCount"):
        return None
    member = str(getattr(key, "value", key))
    return (await counters.total(info.context.dynamo, total_count, member)).count


def _python_name(name: str) -> str:
    return "".join(f"_{letter.lower()}" if letter.isupper() else letter for letter in name)
