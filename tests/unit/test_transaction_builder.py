"""The transaction builder in-process: a recorded DynamoDB that fails the conditions of named tables.

The integration tests (tests/integration/test_transaction_errors.py) make every condition fail for real;
these pin the builder's own rules quickly: which action's error is raised, the prefix, the sending order.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from graphql_api.dynamo import transactions
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.dynamo.transactions import Action, Applied, Transaction
from graphql_api.errors import Conflict, NotFound
from graphql_api.tables import Key, Table

A, B, C = (Table(name, Key("Id")) for name in ("A", "B", "C"))


class Recorded:
    """Answers TransactWriteItems and single writes: conditions on `failing` tables fail with `items` as ALL_OLD."""

    def __init__(self, failing: Mapping[str, Mapping[str, Any] | None], retried: bool = False) -> None:
        self.failing = failing
        self.retried = retried
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.dynamo = Dynamo(self._call, "p-")

    async def _call(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        self.calls.append((operation, params))
        metadata = {"RetryAttempts": 1 if self.retried else 0}
        if operation != "transact_write_items":
            name = params["TableName"].removeprefix("p-")
            if name not in self.failing:
                return {}
            response: dict[str, Any] = {"Error": {"Code": "ConditionalCheckFailedException"}}
            if (item := self.failing[name]) is not None:
                response["Item"] = serialize_item(dict(item))
            raise ClientError({**response, "ResponseMetadata": metadata}, operation)  # type: ignore[typeddict-item]
        reasons: list[dict[str, Any]] = []
        for action in params["TransactItems"]:
            name = next(iter(action.values()))["TableName"].removeprefix("p-")
            if name not in self.failing:
                reasons.append({"Code": "None"})
                continue
            item = self.failing[name]
            reasons.append({"Code": "ConditionalCheckFailed"} | ({"Item": serialize_item(dict(item))} if item else {}))
        if all(reason["Code"] == "None" for reason in reasons):
            return {}
        error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
        raise ClientError({**error, "ResponseMetadata": metadata}, operation)  # type: ignore[typeddict-item]


def _put(table: Table, fails_with: transactions.Failure, applied: Applied | None = None) -> Action:
    return Action("Put", table, {"Item": {"Id": {"S": "x"}}}, fails_with, applied)


def _commit(recorded: Recorded, *actions: Action) -> None:
    asyncio.run(Transaction(recorded.dynamo).add(*actions).commit())


@pytest.fixture(params=["as built", "reversed"])
def order(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "reversed":
        monkeypatch.setattr(transactions, "send_order", lambda count: list(reversed(range(count))))
    name: str = request.param
    return name


def test_the_failed_action_raises_its_own_error_in_any_order_sent(order: str) -> None:
    recorded = Recorded({"A": None})
    a_taken = Conflict("a taken")
    with pytest.raises(Conflict) as caught:
        _commit(recorded, _put(A, a_taken), _put(B, NotFound("b")), _put(C, NotFound("c")))
    assert caught.value is a_taken
    ((operation, params),) = recorded.calls
    sent = [item["Put"]["TableName"] for item in params["TransactItems"]]
    assert operation == "transact_write_items"
    assert sent == (["p-A", "p-B", "p-C"] if order == "as built" else ["p-C", "p-B", "p-A"])


def test_of_several_failed_actions_the_first_added_wins_in_any_order_sent(order: str) -> None:
    with pytest.raises(NotFound, match=r"^c$"):
        _commit(
            Recorded({"C": None, "B": None}), _put(A, Conflict("a")), _put(C, NotFound("c")), _put(B, Conflict("b"))
        )


def test_a_failure_is_made_from_the_item_as_it_stood(order: str) -> None:
    seen: list[Mapping[str, Any] | None] = []

    def from_item(item: Mapping[str, Any] | None) -> Exception:
        seen.append(item)
        return Conflict(f"version {item['Version'] if item else None}")

    with pytest.raises(Conflict, match="version 7"):
        _commit(Recorded({"A": {"Id": "x", "Version": 7}}), _put(A, from_item), _put(B, from_item))
    with pytest.raises(Conflict, match="version None"):
        _commit(Recorded({"B": None}), _put(A, from_item), _put(B, from_item))
    assert seen == [{"Id": "x", "Version": 7}, None]


def test_one_action_is_a_single_write_with_its_own_error_and_the_prefix_resolved() -> None:
    recorded = Recorded({"A": {"Id": "x", "Version": 2}})
    with pytest.raises(Conflict, match="at 2"):
        _commit(recorded, _put(A, lambda item: Conflict(f"at {item['Version'] if item else None}")))
    ((operation, params),) = recorded.calls
    assert (operation, params["TableName"], params["ReturnValuesOnConditionCheckFailure"]) == (
        "put_item",
        "p-A",
        "ALL_OLD",
    )


def test_every_action_asks_for_its_item_and_the_transaction_for_a_token() -> None:
    recorded = Recorded({})
    _commit(recorded, _put(A, Conflict("a")), _put(B, Conflict("b")))
    ((_, params),) = recorded.calls
    assert all(item["Put"]["ReturnValuesOnConditionCheckFailure"] == "ALL_OLD" for item in params["TransactItems"])
    assert params["ClientRequestToken"]


def test_a_retried_write_that_finds_its_own_item_succeeds_and_a_first_attempt_never_does() -> None:
    mine = {"Id": "x", "Version": 1, "UpdatedAt": "2026-01-01T00:00:00.000001Z"}
    applied = Applied(mine)
    _commit(Recorded({"A": mine}, retried=True), _put(A, Conflict("a"), applied), _put(B, Conflict("b")))
    with pytest.raises(Conflict, match=r"^a$"):
        _commit(Recorded({"A": mine}, retried=False), _put(A, Conflict("a"), applied), _put(B, Conflict("b")))


def test_a_contended_transaction_gives_up_with_the_one_retry_message() -> None:
    async def contended(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        reasons = [{"Code": "TransactionConflict"}, {"Code": "None"}]
        error = {"Error": {"Code": "TransactionCanceledException"}, "CancellationReasons": reasons}
        raise ClientError(error, operation)  # type: ignore[arg-type]

    transaction = Transaction(Dynamo(contended, "p-"), max_attempts=2, base_delay=0)
    with pytest.raises(Conflict, match=r"^the data changed concurrently; retry$"):
        asyncio.run(transaction.add(_put(A, NotFound("a")), _put(B, NotFound("b"))).commit())
