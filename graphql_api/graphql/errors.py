"""Errors as clients see them: a message and `extensions.code`, and nothing internal.

The one mapping from errors to what a client receives. A domain error (`graphql_api.errors.ApiError`)
keeps its message, code and extensions. Errors in the request itself (syntax, validation, variable
types), which GraphQL reports without one of ours behind them, are BAD_USER_INPUT. Anything else is
logged with its stack and becomes INTERNAL_SERVER_ERROR with the request id. HTTP-level rejections
(before any GraphQL runs) answer with the same error entry (`ApiError.entry`), through
`graphql_api.http.responses.error_response`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from graphql import GraphQLError

from graphql_api.errors import ApiError, BadUserInput, InternalServerError

logger = logging.getLogger(__name__)


def is_request_error(data: object, errors: Sequence[GraphQLError] | None) -> bool:
    """A request error (GraphQL over HTTP): execution never started, so there is no data and no error has a path
    (parsing, validation, variable coercion, a limit checked before execution)."""
    return data is None and bool(errors) and all(error.path is None for error in errors or ())


def is_unexpected(error: GraphQLError) -> bool:
    """An exception raised while resolving a field that is not one of ours.

    Errors with no path come from parsing, validation or variable coercion: the request's fault.
    """
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, ApiError | GraphQLError)


def api_error_of(error: GraphQLError, request_id: str) -> ApiError:
    """The domain error a client is told of for `error`."""
    if isinstance(error.original_error, ApiError):
        return error.original_error
    if is_unexpected(error):
        return InternalServerError(request_id)
    return BadUserInput(None, error.message)


def error_entry(error: ApiError) -> dict[str, Any]:
    """An entry of a response's `errors`, without location: what a client may know of `error`."""
    return error.entry()


def present(errors: list[GraphQLError], request_id: str) -> None:
    """Makes each error what a client may see, in place, once (Schema.process_errors): every transport then
    sends `error.formatted` (message, locations, path, extensions) as graphql-core builds it."""
    for error in errors:
        entry = error_entry(api_error_of(error, request_id))
        error.message, error.extensions = entry["message"], entry["extensions"]


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "unexpected error in %s (request id %s)",
                ".".join(map(str, error.path or [])) or "request",
                request_id,
                exc_info=error.original_error,
                extra={"requestId": request_id},
            )
