"""What a field costs in DynamoDB requests, declared at the field: `strawberry.field(metadata=costs("load"))`.

The kinds, as the fields run (graphql_api.graphql.cost sums them over a document):

- `plain`: no request; its objects are the parent's (`per_parent` of them for a list);
- `edges`: a connection's page of edges (`first` of them);
- `load`: `per_parent` keys loaded through the request's DataLoaders (batched into BatchGetItem);
- `listing`: one page of a listing per parent (`filtered_by`: arguments that add a filter after the key
  condition, which then reads up to the read budget; `spread`: a filter's `in` on the partition key reads
  one Query per value and round: graphql_api.planner; `count_keys`: its connection's totalCount loads a
  counter's shards);
- `query`: one Query per parent reading up to `per_parent` items;
- `write`: a mutation's `per_parent` requests on its ordinary path.

Fields built by the relationship helpers (graphql_api.graphql.entities._related) price themselves; a field with a
resolver that returns an object, and every root field, must declare its price (the schema refuses to build).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["plain", "edges", "load", "listing", "query", "write"]

COST = "cost"
"""The key of a field's price in its Strawberry metadata."""


@dataclass(frozen=True)
class Price:
    kind: Kind
    per_parent: int = 1
    """Objects per parent (keys per parent for a load; requests per call for a write; items per Query)."""
    filtered_by: tuple[str, ...] = ()
    """Arguments that add a filter after the key condition: the listing then reads up to the read budget."""
    spread: bool = False
    """A list whose filter picks its partitions (`in`): each round reads one Query per value."""
    count_keys: int = 0
    """A listing whose totalCount reads a counter: the keys it loads (its shards); 0: kept on the parent, free."""


def costs(
    kind: Kind,
    per_parent: int = 1,
    *,
    filtered_by: tuple[str, ...] = (),
    spread: bool = False,
    count_keys: int = 0,
) -> dict[str, Price]:
    """A field's metadata declaring its price."""
    return {COST: Price(kind, per_parent, filtered_by, spread, count_keys)}
