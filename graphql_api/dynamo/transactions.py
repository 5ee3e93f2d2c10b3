"""TransactWriteItems with the two failure kinds told apart.

A `TransactionConflict` (another transaction touched the same item) or a throttled action is
transient: retried here with exponential backoff and jitter, up to MAX_ATTEMPTS (then CONFLICT or
THROTTLED). A failed condition is an answer: raised as `TransactionCancelled` with the reason of
every action, in the order the actions were given, so the repository can say which product is
out of stock or which guard already exists.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Sequence
from typing import Any

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.errors import Conflict, Throttled

MAX_ACTIONS = 100
MAX_ATTEMPTS = 8
_THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "None"}) | _THROTTLING_REASONS


class TransactionCancelled(Exception):
    def __init__(self, reasons: list[str]) -> None:
        super().__init__(f"transaction cancelled: {reasons}")
        self.reasons = reasons

    def failed(self, index: int) -> bool:
        return self.reasons[index] == "ConditionalCheckFailed"


async def transact_write(
    dynamo: Dynamo, actions: Sequence[dict[str, Any]], *, max_attempts: int = MAX_ATTEMPTS, base_delay: float = 0.02
) -> None:
    if len(actions) > MAX_ACTIONS:
        raise ValueError(f"a transaction holds at most {MAX_ACTIONS} actions, not {len(actions)}")
    throttled = False
    for attempt in range(max_attempts):
        try:
            await dynamo.call("transact_write_items", TransactItems=list(actions))
            return
        except ClientError as error:
            reasons = _cancellation_reasons(error)
            if reasons is None:
                if error.response.get("Error", {}).get("Code") != "TransactionConflictException":
                    raise
            elif "ConditionalCheckFailed" in reasons:
                raise TransactionCancelled(reasons) from error
            elif not set(reasons) <= _TRANSIENT_REASONS:
                raise
            throttled = bool(_THROTTLING_REASONS & set(reasons or ()))
        # Cancelled by a concurrent transaction or by throttling, nothing written: back off
        # (full jitter, capped) and try again.
        await asyncio.sleep(random.uniform(0, min(1.0, base_delay * 2**attempt)))
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


_SINGLE_OPERATIONS = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


async def write(dynamo: Dynamo, actions: Sequence[dict[str, Any]]) -> None:
    """Write atomically: one action as a plain conditional write (half the cost), more as a transaction.

    Either way a failed condition raises `TransactionCancelled`.
    """
    if len(actions) != 1 or "ConditionCheck" in actions[0]:
        await transact_write(dynamo, actions)
        return
    ((kind, params),) = actions[0].items()
    try:
        await dynamo.call(_SINGLE_OPERATIONS[kind], **params)
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
            raise TransactionCancelled(["ConditionalCheckFailed"]) from error
        raise
