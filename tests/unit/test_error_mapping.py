"""The one mapping from errors to what a client sees: domain errors, request errors, unexpected ones, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from graphql import GraphQLError

from graphql_api.errors import ApiError, BadUserInput, NotFound, QueryTooComplex, Unauthenticated
from graphql_api.graphql.errors import present
from graphql_api.graphql.schema import build_schema
from graphql_api.http.responses import error_response
from graphql_api.request_scope import request_scope
from graphql_api.settings import Settings
from tests.spec import CODES


def _all_subclasses(cls: type[ApiError]) -> list[type[ApiError]]:
    return [sub for direct in cls.__subclasses__() for sub in (direct, *_all_subclasses(direct))]


def test_every_code_of_the_spec_is_one_domain_exception() -> None:
    """One exception per code (errors.py); a more specific one (a slow subscriber is UNAVAILABLE) reuses its code."""
    import graphql_api.live.hub  # noqa: F401 - its exceptions count too

    codes = [cls.code for cls in ApiError.__subclasses__()]
    assert sorted(codes) == sorted(CODES)
    assert {cls.code for cls in _all_subclasses(ApiError)} == set(CODES)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    """What every transport sends: the error made presentable once, then graphql-core's own `formatted`."""
    present([error], request_id)
    return dict(error.formatted)


def test_a_domain_error_keeps_its_message_code_and_extensions() -> None:
    error = GraphQLError("ignored", path=["customer"], original_error=BadUserInput("email", "not valid"))
    assert format_error(error, "rid") == {
        "message": "email: not valid",
        "path": ["customer"],
        "extensions": {"code": "BAD_USER_INPUT", "field": "email"},
    }


def test_an_unexpected_exception_is_masked_with_the_request_id() -> None:
    error = GraphQLError("Orders table: botocore said no", path=["order"], original_error=KeyError("Orders"))
    formatted = format_error(error, "rid-1")
    assert formatted["extensions"] == {"code": "INTERNAL_SERVER_ERROR", "requestId": "rid-1"}
    assert "Orders" not in json.dumps(formatted)


def test_an_error_of_the_request_itself_is_bad_user_input() -> None:
    error = GraphQLError("Cannot query field 'nope' on type 'Query'.")
    assert format_error(error, "rid")["extensions"] == {"code": "BAD_USER_INPUT"}


def test_an_http_level_rejection_has_the_same_shape() -> None:
    with request_scope() as scope:
        response = error_response(Unauthenticated("invalid access token: expired"), {"WWW-Authenticate": "Bearer"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    assert json.loads(bytes(response.body)) == {
        "errors": [{"message": "invalid access token: expired", "extensions": {"code": "UNAUTHENTICATED"}}]
    }
    assert scope.error_codes == ["UNAUTHENTICATED"]


def test_bad_user_input_about_the_request_names_no_field() -> None:
    assert BadUserInput(None, "not JSON").extensions == {}
    assert NotFound("no such order").extensions == {}


@pytest.mark.parametrize(
    ("settings", "query", "limit", "allowed", "words"),
    [
        (Settings(graphql_max_depth=2), "{ me { orders { edges { cursor } } } }", "depth", 2, "depth of 2"),
        (Settings(graphql_max_aliases=2), "{ a: __typename b: __typename c: __typename }", "aliases", 2, "Allowed: 2"),
    ],
)
def test_strawberry_limiters_report_query_too_complex(
    settings: Settings, query: str, limit: str, allowed: int, words: str
) -> None:
    result = build_schema(settings).execute_sync(query)
    assert result.errors
    error = result.errors[0]
    assert isinstance(error.original_error, QueryTooComplex)
    assert words in error.message
    # Schema.process_errors already presented it: presenting is done once, and the answer is the same again.
    assert error.extensions == {"code": "QUERY_TOO_COMPLEX", "limit": limit, "allowed": allowed}
    assert format_error(error, "rid")["extensions"] == {"code": "QUERY_TOO_COMPLEX", "limit": limit, "allowed": allowed}
