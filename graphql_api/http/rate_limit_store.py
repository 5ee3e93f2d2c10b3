"""Where the rate limits' counters live (RATE_LIMIT_STORE): DynamoDB, shared by every instance; or this process.

A counter per identity and fixed window: one item (`<identity>#<window start>`) holding each budget's total
(`Requests`, `Mutations`). A charge is one conditional UpdateItem: ADD the amounts if every total stays within
its limit, else nothing is added and the request is refused; the item expires with the table's time to live
(ExpiresAt, a window after the window's end). Two instances charging the same counter are serialised by
DynamoDB's condition, so their sum never passes the limit. The store is a protocol so that a Redis one
(INCRBY in a MULTI, or a Lua script with the same condition) can take its place without touching the limiter.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import unobserved
from graphql_api.errors import ApiError
from graphql_api.tables import Key, Table

KEY = "Key"
EXPIRES_AT = "ExpiresAt"
RATE_LIMITS = Table("RateLimits", Key(KEY), ttl_attribute=EXPIRES_AT)
"""The counters' table: one item per identity and window, deleted by its time to live."""


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


class RateLimitStore(Protocol):
    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        """Add `amounts` to the counter's budgets if each total stays within its limit; else add nothing."""
        ...

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        """Add (or take back, negative) `amounts` unconditionally: the reconciliation after a request ran."""
        ...


def _attribute(budget: str) -> str:
    return budget.title()  # requests -> Requests


class DynamoRateLimitStore:
    """The counters in DynamoDB (RATE_LIMITS). Its calls are the limiter's, not counted as the request's."""

    def __init__(self, dynamo: Dynamo) -> None:
        self.dynamo = dynamo
        self.table = RATE_LIMITS.physical_name(dynamo.table_prefix)

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        names = {f"#{budget}": _attribute(budget) for budget in amounts}
        values = {f":{budget}": {"N": str(amount)} for budget, amount in amounts.items()}
        conditions = []
        for budget, amount in amounts.items():
            values[f":{budget}Room"] = {"N": str(limits[budget] - amount)}
            conditions.append(f"(attribute_not_exists(#{budget}) OR #{budget} <= :{budget}Room)")
        values[":expires"] = {"N": str(counter.expires_at)}
        names["#expires"] = EXPIRES_AT
        try:
            with unobserved():
                response = await self.dynamo.call(
                    "update_item",
                    TableName=self.table,
                    Key={KEY: {"S": counter.key}},
                    UpdateExpression="SET #expires = if_not_exists(#expires, :expires) ADD "
                    + ", ".join(f"#{budget} :{budget}" for budget in amounts),
                    ConditionExpression=" AND ".join(conditions),
                    ExpressionAttributeNames=names,
                    ExpressionAttributeValues=values,
                    ReturnValues="ALL_NEW",
                    ReturnValuesOnConditionCheckFailure="ALL_OLD",
                )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise StoreUnavailable(str(error)) from error
            found: Mapping[str, Mapping[str, str]] = error.response.get("Item", {})  # type: ignore[assignment]
            return Counted(False, self._totals(found, limits))
        except ApiError as error:  # throttled or unreachable
            raise StoreUnavailable(error.message) from error
        return Counted(True, self._totals(response.get("Attributes", {}), limits))

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        try:
            with unobserved():
                await self.dynamo.call(
                    "update_item",
                    TableName=self.table,
                    Key={KEY: {"S": counter.key}},
                    UpdateExpression="SET #expires = if_not_exists(#expires, :expires) ADD "
                    + ", ".join(f"#{budget} :{budget}" for budget in amounts),
                    ExpressionAttributeNames={"#expires": EXPIRES_AT} | {f"#{b}": _attribute(b) for b in amounts},
                    ExpressionAttributeValues={":expires": {"N": str(counter.expires_at)}}
                    | {f":{budget}": {"N": str(amount)} for budget, amount in amounts.items()},
                )
        except (ClientError, ApiError) as error:
            raise StoreUnavailable(str(error)) from error

    @staticmethod
    def _totals(item: Mapping[str, Mapping[str, str]], budgets: Mapping[str, int]) -> dict[str, int]:
        return {budget: int(item[_attribute(budget)]["N"]) for budget in budgets if _attribute(budget) in item}


class MemoryRateLimitStore:
    """The counters in this process only (RATE_LIMIT_STORE=memory): one instance, or the tests' fast unit checks."""

    def __init__(self) -> None:
        self.counters: dict[str, dict[str, int]] = {}

    async def charge(self, counter: Counter, amounts: Mapping[str, int], limits: Mapping[str, int]) -> Counted:
        self._forget_before(counter.window_start)
        totals = self.counters.setdefault(counter.key, {})
        if any(totals.get(budget, 0) + amount > limits[budget] for budget, amount in amounts.items()):
            return Counted(False, {budget: totals.get(budget, 0) for budget in limits})
        for budget, amount in amounts.items():
            totals[budget] = totals.get(budget, 0) + amount
        return Counted(True, {budget: totals.get(budget, 0) for budget in limits})

    async def adjust(self, counter: Counter, amounts: Mapping[str, int]) -> None:
        totals = self.counters.setdefault(counter.key, {})
        for budget, amount in amounts.items():
            totals[budget] = totals.get(budget, 0) + amount

    def _forget_before(self, window_start: int) -> None:
        if len(self.counters) > 10_000:  # old windows are never charged again
            self.counters = {
                key: totals for key, totals in self.counters.items() if int(key.rsplit("#", 1)[1]) >= window_start
            }
