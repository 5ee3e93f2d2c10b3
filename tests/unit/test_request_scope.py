"""The request scope: one typed object per request, found through one context variable."""

from __future__ import annotations

import pytest

from graphql_api.auth.identity import OPEN_ACCESS
from graphql_api.dynamo.observer import request_sent
from graphql_api.request_scope import (
    current_identity,
    current_request_id,
    current_scope,
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
