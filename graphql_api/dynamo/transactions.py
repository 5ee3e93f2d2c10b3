"""A transaction builder: actions on tables named logically, each carrying the error its failed condition means.

Modelled on PynamoDB's `TransactWrite`, with one addition: every `Action` says what its failed
condition means (`fails_with`: an error, or a function of the item as it stood, ALL_OLD), and
`Transaction.commit` raises that action's own error. Which action failed is read from the
cancellation reasons by the action itself (each reason is paired with the action it answers when
sent), never from a position a caller computed: reordering the actions changes nothing a client sees
(`send_order` lets a test send them in any order). When several conditions fail at once, the first
action in the order they were added wins, so that choice does not depend on the order sent either.
The table prefix is resolved here, once per action sent: callers name tables logically.

Two failure kinds are told apart. A `TransactionConflict` (another transaction touched the same item)
or a throttled action is transient: retried here with exponential backoff and jitter, up to
MAX_ATTEMPTS (then CONFLICT, `changed_concurrently`, or THROTTLED). A failed condition is an answer.

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
  may say how its item looks once it has applied (`Action.applied`): the repository building blocks
  attach it (graphql_api.repositories._writes). When a condition failed and botocore had retried the
  call (`RetryAttempts` > 0: an earlier attempt of this very call may have applied), the write is taken
  as applied if a failed action's item shows that action applied: a create-only put finds exactly its
  own item (its own CreatedAt/UpdatedAt to the microsecond, Version 1); a versioned update finds the
  version it wrote with its own UpdatedAt and the values it set. A transaction applies whole, so one
  such action proves the transaction. Failing that, if every failed action is a delete whose item is
  gone, the delete is taken as done (the callers read the item just before: only a concurrent delete
  of the same item could have removed it meanwhile, and then the item is gone as asked; a delete
  leaves no item to carry proof).
- Without a retry (RetryAttempts 0 throughout) a failed condition is never second-guessed.

A mirror (`install_mirror`): during the single-table migration the app installs, on its DynamoDB client, a
function that turns a transaction's actions into the ones sent (graphql_api.migration.dual_write: each action
plus its single-table twin, or the twins alone at cutover), so that this layer knows nothing of the layout. A
twin says which action it mirrors (`Action.twin_of`): a failed twin's error is its original's, and the first
failed original in the order added still wins.

What this cannot see: a write that applied, was then overwritten by another writer, and only then
retried (its item no longer shows it): that is reported like the conflict it now looks like. And a
server that gives the reasons only in its message gives no items: a failure is then explained as if
the item were missing.
"""

from __future__ import annotations

import asyncio
import random
import uuid
import weakref
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from botocore.exceptions import ClientError

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import current_observer, unobserved
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.errors import Conflict, Throttled
from graphql_api.tables import Table

MAX_ACTIONS = 100
MAX_ATTEMPTS = 8
_THROTTLING_REASONS = frozenset({"ThrottlingError", "ProvisionedThroughputExceeded"})
_TRANSIENT_REASONS = frozenset({"TransactionConflict", "None"}) | _THROTTLING_REASONS
_FAILED = "ConditionalCheckFailed"

Kind = Literal["Put", "Update", "Delete", "ConditionCheck"]
Failure = Exception | Callable[[Mapping[str, Any] | None], Exception]
"""What an action's failed condition means: an error, or one made from its item as it stood (None: no item)."""


def changed_concurrently(what: str) -> Conflict:
    """The one answer for a write that lost to another writer and may simply be sent again."""
    return Conflict(f"{what} changed concurrently; retry")


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


@dataclass(frozen=True, eq=False)
class Action:
    """One action of a transaction on `table` (named logically): its parameters but TableName, and its failure."""

    kind: Kind
    table: Table
    params: Mapping[str, Any]
    fails_with: Failure
    applied: Applied | None = None
    twin_of: Action | None = None
    """The action this one mirrors in the single-table layout (graphql_api.migration.dual_write), if any."""

    def sent(self, table_prefix: str) -> dict[str, Any]:
        """As DynamoDB takes it: on its physical table, asking for the item when its condition fails."""
        return {
            self.kind: {
                "TableName": self.table.physical_name(table_prefix),
                **self.params,
                "ReturnValuesOnConditionCheckFailure": "ALL_OLD",
            }
        }

    def error(self, item: Mapping[str, Any] | None) -> Exception:
        """The error this action's failed condition means, given its item as it stood (serialized, or None)."""
        if isinstance(self.fails_with, Exception):
            return self.fails_with
        return self.fails_with(deserialize_item(item) if item else None)


Mirror = Callable[[Sequence[Action]], Awaitable[Sequence[Action]]]
"""A transaction's actions -> the actions to send in their place (each original or twin at most once)."""
_mirrors: weakref.WeakKeyDictionary[Dynamo, Mirror] = weakref.WeakKeyDictionary()


def install_mirror(dynamo: Dynamo, mirror: Mirror | None) -> None:
    """Every transaction committed on `dynamo` sends what `mirror` makes of its actions (None: as they are)."""
    if mirror is None:
        _mirrors.pop(dynamo, None)
    else:
        _mirrors[dynamo] = mirror


def send_order(count: int) -> list[int]:
    """The order actions are sent in: as added. Tests replace it to prove that no error depends on it."""
    return list(range(count))


class _Cancelled(Exception):
    """Conditions failed: each failed action with its item as it stood."""

    def __init__(self, failed: list[tuple[Action, Mapping[str, Any] | None]]) -> None:
        super().__init__(f"transaction cancelled: {len(failed)} conditions failed")
        self.failed = failed


class Transaction:
    """Actions added, then `commit`: all applied or none; a failed condition raises its action's own error."""

    def __init__(self, dynamo: Dynamo, *, max_attempts: int = MAX_ATTEMPTS, base_delay: float = 0.02) -> None:
        self._dynamo = dynamo
        self._actions: list[Action] = []
        self._max_attempts = max_attempts
        self._base_delay = base_delay

    def add(self, *actions: Action) -> Transaction:
        self._actions.extend(actions)
        return self

    @property
    def actions(self) -> tuple[Action, ...]:
        return tuple(self._actions)

    async def commit(self) -> None:
        """One action as a plain conditional write (half the cost), more as a TransactWriteItems."""
        if len(self._actions) > MAX_ACTIONS:
            raise ValueError(f"a transaction holds at most {MAX_ACTIONS} actions, not {len(self._actions)}")
        mirror = _mirrors.get(self._dynamo)
        actions = list(self._actions if mirror is None else await mirror(self._actions))
        try:
            if len(actions) == 1 and actions[0].kind != "ConditionCheck":
                await self._write_one(actions[0])
            elif actions:
                await self._transact([actions[index] for index in send_order(len(actions))])
        except _Cancelled as cancelled:
            # A twin's failure is its original's: the first original failed, in the order added, answers.
            failed = {id(action.twin_of or action): (action, item) for action, item in reversed(cancelled.failed)}
            first = next(action for action in self._actions if id(action) in failed)
            sent, item = failed[id(first)]
            raise sent.error(item) from None

    async def _write_one(self, action: Action) -> None:
        ((kind, params),) = action.sent(self._dynamo.table_prefix).items()
        try:
            await self._dynamo.call(_SINGLE_OPERATIONS[kind], **params)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
            item: Mapping[str, Any] | None = error.response.get("Item")  # type: ignore[assignment]
            if _retried(error) and _applied_already([(action, item)]):
                return
            raise _Cancelled([(action, item)]) from error

    async def _transact(self, actions: list[Action]) -> None:
        sent = [action.sent(self._dynamo.table_prefix) for action in actions]
        throttled = False
        retried = False  # sticky: an earlier call of this loop may have applied before its answer was lost
        for attempt in range(self._max_attempts):
            try:
                await self._send(actions, sent)
                return
            except ClientError as error:
                retried = retried or _retried(error)
                reasons = _cancellation_reasons(error)
                if reasons is None:
                    if error.response.get("Error", {}).get("Code") != "TransactionConflictException":
                        raise
                elif _FAILED in reasons:
                    # Each reason answers the action sent in its place: paired here, and nowhere else.
                    items = _cancellation_items(error, len(reasons))
                    failed = [
                        (action, item)
                        for action, reason, item in zip(actions, reasons, items, strict=True)
                        if reason == _FAILED
                    ]
                    if retried and set(reasons) <= {_FAILED, "None"} and _applied_already(failed):
                        return
                    raise _Cancelled(failed) from error
                elif not set(reasons) <= _TRANSIENT_REASONS:
                    raise
                throttled = bool(_THROTTLING_REASONS & set(reasons or ()))
            # Cancelled by a concurrent transaction or by throttling, nothing written: back off
            # (full jitter, capped) and try again.
            await asyncio.sleep(random.uniform(0, min(1.0, self._base_delay * 2**attempt)))  # noqa: S311 (jitter)
        if throttled:
            raise Throttled("DynamoDB is throttling requests; retry later")
        raise changed_concurrently("the data")

    async def _send(self, actions: list[Action], sent: list[dict[str, Any]]) -> None:
        """One TransactWriteItems. With twins beside their originals (dual-write), the request's observer is told
        of one request and of the originals' capacity only: `extensions.cost` is the same in every phase."""
        mirrored = any(action.twin_of is not None for action in actions) and any(
            action.twin_of is None for action in actions
        )
        observer = current_observer() if mirrored else None
        if observer is None:
            await self._dynamo.call("transact_write_items", TransactItems=sent, ClientRequestToken=uuid.uuid4().hex)
            return
        own = {action.table.physical_name(self._dynamo.table_prefix) for action in actions if action.twin_of is None}
        try:
            with unobserved():
                response = await self._dynamo.call(
                    "transact_write_items", TransactItems=sent, ClientRequestToken=uuid.uuid4().hex
                )
        finally:
            observer.record_dynamodb_request("TransactWriteItems")
        consumed = response.get("ConsumedCapacity") or []
        observer.add_capacity(
            sum(float(entry.get("CapacityUnits", 0.0)) for entry in consumed if entry.get("TableName") in own)
        )


_SINGLE_OPERATIONS = {"Put": "put_item", "Update": "update_item", "Delete": "delete_item"}


def _applied_already(failed: Sequence[tuple[Action, Mapping[str, Any] | None]]) -> bool:
    """After a retried call whose conditions failed: do the failed actions' items show this write applied?"""
    if any(action.applied is not None and action.applied.shown_by(item) for action, item in failed):
        return True
    return bool(failed) and all(
        action.applied is not None and action.applied.deletes and item is None for action, item in failed
    )


def _retried(error: ClientError) -> bool:
    attempts: int = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0)
    return attempts > 0


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
