"""An error's HTTP status is a property of its class: one mapping for every request refused whole."""

from __future__ import annotations

import json

import pytest

from graphql_api import errors
from graphql_api.errors import ApiError, BodyTooLarge, MalformedRequest, Unavailable
from graphql_api.http.responses import error_response
from graphql_api.request_scope import request_scope


def _error_classes() -> list[type[ApiError]]:
    return [value for value in vars(errors).values() if isinstance(value, type) and issubclass(value, ApiError)]


@pytest.mark.parametrize("cls", _error_classes(), ids=lambda cls: cls.__name__)
def test_every_error_class_has_a_status_of_its_own_kind(cls: type[ApiError]) -> None:
    """Client errors 4xx, the service's or the database's 5xx; no class leaves it to a caller."""
    expected = 500 if cls.code == "INTERNAL_SERVER_ERROR" else 503 if cls.code == "UNAVAILABLE" else None
    if expected is not None:
        assert cls.http_status == expected
    else:
        assert 400 <= cls.http_status < 500, f"{cls.__name__}: {cls.http_status}"


def test_a_body_too_large_is_a_413_with_the_graphql_shape() -> None:
    with request_scope() as scope:
        response = error_response(BodyTooLarge(1024))
    assert response.status_code == 413
    assert json.loads(bytes(response.body)) == {
        "errors": [{"message": "the request body exceeds 1024 bytes", "extensions": {"code": "BAD_USER_INPUT"}}]
    }
    assert scope.error_codes == ["BAD_USER_INPUT"]


def test_a_refused_request_keeps_the_status_it_was_refused_with() -> None:
    assert error_response(MalformedRequest("wrong method", 405)).status_code == 405
    assert error_response(Unavailable("retry later")).status_code == 503
