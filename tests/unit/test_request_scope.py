"""The request scope: one typed object per request, found through one context variable."""

from __future__ import annotations

import pytest

from graphql_api.auth.identity import OPEN_ACCESS
from graphql_api.dynamo.observer import read_done, request_sent
from graphql_api.request_scope import (
    current_identity,
    current_request_id,
    current_scope,
    operation_cost,
    request_scope,
    scope_if_any,
)


def test_a_scope_holds_for_its_block_only() -> None:
    assert scope_if_any() is None
    assert current_request_id() == "-"
    with request_scope("abc") as scope:
        assert current_scope() is scope
        assert current_request_id() == "abc"
        request_sent("before-send.dynamodb.Query")
        request_sent("before-send.dynamodb.BatchGetItem")
        scope.add_capacity(1.5)
    assert scope_if_any() is None
    assert scope.dynamodb_operations == ["Query", "BatchGetItem"]
    assert scope.dynamodb_requests == 2
    assert scope.consumed_capacity == 1.5


def test_calls_outside_a_request_are_counted_nowhere() -> None:
    request_sent("before-send.dynamodb.Query")
    with pytest.raises(RuntimeError, match="outside a request scope"):
        current_scope()


def test_the_identity_is_the_one_the_view_set() -> None:
    with request_scope() as scope:
        with pytest.raises(RuntimeError, match="no identity"):
            current_identity()
        scope.identity = OPEN_ACCESS
        assert current_identity() is OPEN_ACCESS
        assert len(scope.request_id) == 32


def test_an_operations_cost_is_its_own_and_its_requests_scope_counts_it_too() -> None:
    with request_scope() as scope:
        request_sent("before-send.dynamodb.Query")  # before the operation: the scope's only
        with operation_cost() as meter:
            request_sent("before-send.dynamodb.GetItem")
            read_done(0.5, 1)
        scope.add_capacity(0.5)
    assert meter.taken() == {"requests": 1, "readCapacityUnits": 0.5, "itemsExamined": 1}
    assert meter.taken() == {"requests": 0, "readCapacityUnits": 0.0, "itemsExamined": 0}  # taken: from 0 again
    assert (scope.dynamodb_requests, scope.read_capacity, scope.items_examined) == (2, 0.5, 1)
