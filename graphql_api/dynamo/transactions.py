"""TransactWriteItems with the two failure kinds told apart, and writes that recognise their own success.

A `TransactionConflict` (another transaction touched the same item) or a throttled action is
transient: retried here with exponential backoff and jitter, up to MAX_ATTEMPTS (then CONFLICT or
THROTTLED). A failed condition is an answer: raised as `TransactionCancelled` with the reason of
every action, in the order the actions were given, so the repository can say which product is
out of stock or which guard already exists.

A lost answer. botocore retries a write whose answer did not come in time (`ReadTimeoutError` is
retryable in the standard mode), and a server error after the write happened. When the first attempt
was applied, the retry fails its own condition (the version moved on, the create-only key exists), and
without more the caller would be told VERSION_MISMATCH or CONFLICT for a write that happened. So:

- Every TransactWriteItems carries an explicit `ClientRequestToken`, one per call (botocore's retries
  of that call reuse it): real DynamoDB and DynamoDB Local answer a retry within 10 minutes with the
  first attempt's success and write nothing. A fresh uuid, not a hash of the actions: two requests
  that happen to build identical actions must not be merged into one. moto ignores the token (it runs
  the retry again, which fails its condition), hence the second line below.
- Every action asks for `ReturnValuesOnConditionCheckFailure=ALL_OLD` (both backends return it, in
  the error of PutItem/UpdateItem/DeleteItem and in each cancellation reason of a transaction), and
  may say, under the key APPLIED, how its item looks once it has applied (`Applied`): the repository
  building blocks attach it (graphql_api.repositories._writes). When a condition failed and botocore
  had retried the call (`RetryAttempts` > 0: an earlier attempt of this very call may have applied),
  the write is taken as applied if a failed action's item shows that action applied: a create-only
  put finds exactly its own item (its own CreatedAt/UpdatedAt to the microsecond, Version 1); a
  versioned update finds the version it wrote with its own UpdatedAt and the values it set. A
  transaction applies whole, so one such action proves the transaction. Failing that, if every failed
  action is a delete whose item is gone, the delete is taken as done (the callers read the item just
  before: only a concurrent delete of the same item could have removed it meanwhile, and then the item
  is gone as asked; a delete leaves no item to carry proof).
- Without a retry (RetryAttempts 0 throughout) a failed condition is never second-guessed.

What this cannot see: a write that applied, was then overwritten by another writer, and only then
retried (its item no longer shows it): that is reported like the conflict it now looks like.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.errors import Conflict, Throttled

MAX_ACTIONS = 100
MAX_ATTEMPTS = 8
APPLIED = "_applied"
"""The key of an action that holds its `Applied`; taken out before the action is sent."""
_THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "None"}) | _THROTTLING_REASONS


@dataclass(frozen=True)
class Applied:
    """How an action's item looks once the action applied: `attributes` (stored values, None for absent), or gone."""

    attributes: Mapping[str, Any] | None
    """None: the action is a delete, and its item is gone."""

    def shown_by(self, item: Mapping[str, Any] | None) -> bool:
        """True if `item` (as DynamoDB returned it, serialized) proves the action applied."""
        if self.attributes is None or item is None:
            return False
        stored = deserialize_item(item)
        return all(stored.get(name) == value for name, value in self.attributes.items())

    @property
    def deletes(self) -> bool:
        return self.attributes is None


class TransactionCancelled(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"


def _sent(action: Mapping[str, Any]) -> dict[str, Any]:
    """The action as DynamoDB takes it: without APPLIED, asking for the item when its condition fails."""
    ((kind, params),) = ((kind, params) for kind, params in action.items() if kind != APPLIED)
    return {kind: {**params, "ReturnValuesOnConditionCheckFailure": "ALL_OLD"}}


def _applied_already(
    actions: Sequence[Mapping[str, Any]], reasons: list[str], items: list[Mapping[str, Any] | None]
) -> bool:
    """After a retried call whose conditions failed: do the failed actions' items show this write applied?"""
    failed: list[tuple[Applied | None, Mapping[str, Any] | None]] = [
        (action.get(APPLIED), item)
        for action, reason, item in zip(actions, reasons, items, strict=True)
        if reason == "ConditionalCheckFailed"
    ]
    if any(applied is not None and applied.shown_by(item) for applied, item in failed):
        return True
    return bool(failed) and all(applied is not None and applied.deletes and item is None for applied, item in failed)


def _retried(error: ClientError) -> bool:
    attempts: int = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return attempts > 0


async def transact_write(
    dynamo: Dynamo, actions: Sequence[dict[str, Any]], *, max_attempts: int = MAX_ATTEMPTS, base_delay: float = 0.02
) -> None:
    if len(actions) > MAX_ACTIONS:
        raise ValueError(f"a transaction holds at most {MAX_ACTIONS} actions, not {len(actions)}")
    sent = [_sent(action) for action in actions]
    throttled = False
    retried = False  # sticky: an earlier call of this loop may have applied before its answer was lost
    for attempt in range(max_attempts):
        try:
            await dynamo.call("transact_write_items", TransactItems=sent, ClientRequestToken=uuid.uuid4().hex)
            return
        except ClientError as error:
            retried = retried or _retried(error)
            reasons = _cancellation_reasons(error)
            if reasons is None:
                if error.response.get("Error", {}).get("Code") != "TransactionConflictException":
                    raise
            elif "ConditionalCheckFailed" in reasons:
                if (
                    retried
                    and set(reasons) <= {"ConditionalCheckFailed", "None"}
                    and _applied_already(actions, reasons, _cancellation_items(error, len(reasons)))
                ):
                    return
                raise TransactionCancelled(reasons) from error
            elif not set(reasons) <= _TRANSIENT_REASONS:
                raise
            throttled = bool(_THROTTLING_REASONS & set(reasons or ()))
        # Cancelled by a concurrent transaction or by throttling, nothing written: back off
        # (full jitter, capped) and try again.
        await asyncio.sleep(random.uniform(0, min(1.0, base_delay * 2**attempt)))  # noqa: S311 (jitter)
    if throttled:
        raise Throttled("DynamoDB is throttling requests; retry later")
    raise Conflict("too many concurrent changes to the same data; retry the request")


def _cancellation_reasons(error: ClientError) -> list[str] | None:
    if error.response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return None
    reasons = error.response.get("CancellationReasons")
    if reasons:
        return [reason.get("Code", "None") or "None" for reason in reasons]
    # Some servers only put the reasons in the message: "... [None, ConditionalCheckFailed]".
    message = error.response.get("Error", {}).get("Message", "")
    if "[" in message:
        return [part.strip() for part in message[message.rindex("[") + 1 : message.rindex("]")].split(",")]
    return None


def _cancellation_items(error: ClientError, count: int) -> list[Mapping[str, Any] | None]:
    """The item of each action whose condition failed (ALL_OLD), None where there is none or none was sent."""
    reasons = error.response.get("CancellationReasons") or []
    if len(reasons) != count:
        return [None] * count
    return [reason.get("Item") for reason in reasons]


_SINGLE_OPERATIONS = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


async def write(dynamo: Dynamo, actions: Sequence[dict[str, Any]]) -> None:
    """Write atomically: one action as a plain conditional write (half the cost), more as a transaction.

    Either way a failed condition raises `TransactionCancelled`, unless the write recognises its own
    earlier attempt as applied (see the module's docstring).
    """
    if len(actions) != 1 or "ConditionCheck" in actions[0]:
        await transact_write(dynamo, actions)
        return
    ((kind, params),) = _sent(actions[0]).items()
    try:
        await dynamo.call(_SINGLE_OPERATIONS[kind], **params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            reasons = ["ConditionalCheckFailed"]
            item: Mapping[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            if _retried(error) and _applied_already(actions, reasons, [item]):
                return
            raise TransactionCancelled(reasons) from error
        raise
