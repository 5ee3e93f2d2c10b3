"""Root fields declared with who may call them (SPEC section 9) and what they cost (graphql_api.graphql.price).

`@query(SIGNED_IN, costs("load"), "AP4: an order by id")` is `@strawberry.field(extensions=allow(SIGNED_IN),
metadata=costs("load"), description=...)`. A root field needs both: access denies what no rule allows, and the
schema refuses to build with an unpriced root field (graphql_api.graphql.cost.unpriced_fields); so they come
first, and every root field reads the same way.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import strawberry

from graphql_api.auth.identity import Role
from graphql_api.graphql.access import allow
from graphql_api.graphql.price import Price


class Declare(Protocol):
    def __call__(self, roles: frozenset[Role], price: dict[str, Price], description: str | None = None) -> Any: ...


def _declaring(decorator: Callable[..., Any]) -> Declare:
    def declare(roles: frozenset[Role], price: dict[str, Price], description: str | None = None) -> Any:
        return decorator(extensions=allow(roles), metadata=price, description=description)

    return declare


query = _declaring(strawberry.field)
"""A field of Query (or any field with a resolver, a rule and a price)."""
mutation = _declaring(strawberry.mutation)
subscription = _declaring(strawberry.subscription)
