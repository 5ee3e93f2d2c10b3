"""What each repository function does to DynamoDB, declared beside it: the IAM grants derive from it.

    @uses("The customer and its email guard, create-only, in one transaction.", PutItem=(CUSTOMERS, CUSTOMER_EMAILS))
    async def create(...): ...

Each keyword is an IAM action of DynamoDB (a TransactWriteItems needs, on each table it touches, the action of
each of its parts; a single write, the same action) and its value the entities it acts on. `DECLARED_ACCESS`
holds every declaration of the modules `graphql_api.repositories` imports (explicitly, in its __init__), in
import order; graphql_api.ops.iam_policy turns them into grants, and the integration suite checks them against
the calls really made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, TypeVar

from graphql_api.entity import Entity

Action = Literal["GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem"]
ACTIONS: tuple[Action, ...] = ("GetItem", "BatchGetItem", "PutItem", "UpdateItem", "DeleteItem", "ConditionCheckItem")

F = TypeVar("F", bound=Callable[..., Any])


@dataclass(frozen=True)
class DeclaredAccess:
    """One repository function and the DynamoDB actions it takes, each on the tables of these entities."""

    code: str
    """The function, as `repositories.customers.create`."""
    does: str
    actions: tuple[tuple[Action, Entity[Any]], ...]


DECLARED_ACCESS: list[DeclaredAccess] = []


def uses(does: str, **actions: Entity[Any] | tuple[Entity[Any], ...]) -> Callable[[F], F]:
    """Declare what the decorated function does to DynamoDB (see the module's docstring)."""
    unknown = set(actions) - set(ACTIONS)
    if unknown:
        raise TypeError(f"not a DynamoDB action the repositories take: {', '.join(sorted(unknown))}")

    def declare(function: F) -> F:
        module = function.__module__.removeprefix("graphql_api.")
        DECLARED_ACCESS.append(DeclaredAccess(f"{module}.{function.__qualname__}", does, _pairs(actions)))
        return function

    return declare


def _pairs(actions: Mapping[str, Entity[Any] | tuple[Entity[Any], ...]]) -> tuple[tuple[Action, Entity[Any]], ...]:
    pairs: list[tuple[Action, Entity[Any]]] = []
    for action in ACTIONS:
        entities = actions.get(action, ())
        pairs += [(action, entity) for entity in (entities if isinstance(entities, tuple) else (entities,))]
    return tuple(pairs)
