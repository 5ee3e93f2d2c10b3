"""The rate limits' counters in DynamoDB: a table shared by every instance (graphql_api.http.rate_limit).

A counter per identity and fixed window: one item (`<identity>#<window start>`) holding each budget's total
(`Requests`, `Mutations`). A charge is one conditional UpdateItem: ADD the amounts if every total stays within
its limit, else nothing is added and the request is refused; the item expires with the table's time to live
(ExpiresAt, a window after the window's end). The requests' amount is the estimate less the refund of the
caller's previous request (the limiter's), so it may be 0 or negative. Two instances charging the same
counter are serialised by DynamoDB's condition, so their sum never passes the limit. Its calls are the
limiter's, not counted as the request's (graphql_api.dynamo.observer.unobserved).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import unobserved
from graphql_api.entity import Entity
from graphql_api.errors import ApiError
from graphql_api.repositories._access import uses


@dataclass(frozen=True)
class RateLimitCounter:
    """One identity's use of its budgets in one window (not an entity of the API: the limiter's own)."""

    key: str
    """`<identity>#<window start>`: a token's subject, or `ip:<client address>`, and the window's Unix time."""
    expires_at: int
    """Epoch seconds: a window after the window's end (DynamoDB's time to live reads it)."""
    requests: int = 0
    """DynamoDB requests charged in the window (estimated before execution, reconciled after)."""
    mutations: int = 0
    """Of those, the requests of mutations."""


RATE_LIMITS = Entity(RateLimitCounter, "RateLimits", key=("key",), ttl="expires_at")

_ATTRIBUTES = {"requests": RATE_LIMITS.attribute("requests"), "mutations": RATE_LIMITS.attribute("mutations")}
_KEY, _EXPIRES_AT = RATE_LIMITS.attribute("key"), RATE_LIMITS.attribute("expires_at")


@dataclass(frozen=True)
class Counter:
    """One identity's counter in one window."""

    identity: str
    window_start: int
    window_seconds: int

    @property
    def key(self) -> str:
        return f"{self.identity}#{self.window_start}"

    @property
    def expires_at(self) -> int:
        """A window after the window's end: DynamoDB deletes expired items within days, not at once."""
        return self.window_start + 2 * self.window_seconds


@dataclass(frozen=True)
class Counted:
    admitted: bool
    used: Mapping[str, int]
    """Each budget's total in this window: after the charge when admitted, as found when refused (a budget not
    yet charged in the window is absent, or 0)."""


class StoreUnavailable(Exception):
    """The store did not answer: the limiter's documented choice applies (RATE_LIMIT_FAIL_OPEN)."""


class DynamoRateLimitStore:
    """The counters in DynamoDB (RATE_LIMITS), shared by every instance."""

    def __init__(self, dynamo: Dynamo) -> None:
        self.dynamo = dynamo
        self.table = RATE_LIMITS.table.physical_name(dynamo.table_prefix)

    @uses("A request's charge: ADD its estimate to its caller's counter if within the limits.", UpdateItem=RATE_LIMITS)
    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        names = {f"#{budget}": _ATTRIBUTES[budget] for budget in amounts}
        values = {f":{budget}": {"N": str(amount)} for budget, amount in amounts.items()}
        conditions = []
        for budget, amount in amounts.items():
            values[f":{budget}Room"] = {"N": str(limits[budget] - amount)}
            conditions.append(f"(attribute_not_exists(#{budget}) OR #{budget} <= :{budget}Room)")
        try:
            with unobserved():
                response = await self.dynamo.call(
                    "update_item",
                    **self._update(counter, amounts, names, values),
                    ConditionExpression=" AND ".join(conditions),
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise StoreUnavailable(str(error)) from error
            found: Mapping[str, Mapping[str, str]] = error.response.get("Item", {})  # type: ignore[assignment]
            return Counted(False, _totals(found, limits))
        except ApiError as error:  # throttled or unreachable
            raise StoreUnavailable(error.message) from error
        return Counted(True, _totals(response.get("Attributes", {}), limits))

    @uses(
        "The reconciliation after a request: ADD the difference of its requests and its charge.", UpdateItem=RATE_LIMITS
    )
    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        names = {f"#{budget}": _ATTRIBUTES[budget] for budget in amounts}
        values = {f":{budget}": {"N": str(amount)} for budget, amount in amounts.items()}
        try:
            with unobserved():
                await self.dynamo.call("update_item", **self._update(counter, amounts, names, values))
        except (ClientError, ApiError) as error:
            raise StoreUnavailable(str(error)) from error

    def _update(
        self, counter: Counter, amounts: Mapping[str, int], names: dict[str, str], values: dict[str, dict[str, str]]
    ) -> dict[str, object]:
        """ADD the amounts, and set the time to live on the window's first charge."""
        return {
            "TableName": self.table,
            "Key": {_KEY: {"S": counter.key}},
            "UpdateExpression": "SET #expires = if_not_exists(#expires, :expires) ADD "
            + ", ".join(f"#{budget} :{budget}" for budget in amounts),
            "ExpressionAttributeNames": names | {"#expires": _EXPIRES_AT},
            "ExpressionAttributeValues": values | {":expires": {"N": str(counter.expires_at)}},
        }


def _totals(item: Mapping[str, Mapping[str, str]], budgets: Mapping[str, int]) -> dict[str, int]:
    return {budget: int(item[_ATTRIBUTES[budget]]["N"]) for budget in budgets if _ATTRIBUTES[budget] in item}
