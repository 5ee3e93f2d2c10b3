"""Errors as clients see them: a message and `extensions.code`, and nothing internal.

Domain errors (`graphql_api.errors.ApiError`) keep their message and code. Errors in the request
itself (syntax, validation, variable types) are BAD_USER_INPUT unless they carry a code already.
Anything else is logged with its stack and becomes INTERNAL_SERVER_ERROR with the request id.
"""

from __future__ import annotations

import logging
from typing import Any

from graphql import GraphQLError

from graphql_api.dynamo.stats import current_stats
from graphql_api.errors import ApiError
from graphql_api.graphql.limits import is_limit_error
from graphql_api.metrics import GRAPHQL_ERRORS

logger = logging.getLogger(__name__)

INTERNAL_MESSAGE = "Internal server error. Quote the request id when reporting it."


def is_unexpected(error: GraphQLError) -> bool:
    """An exception raised while resolving a field that is not one of ours.

    Errors with no path come from parsing, validation or variable coercion: the request's fault.
    """
    original = error.original_error
    return error.path is not None and original is not None and not isinstance(original, ApiError | GraphQLError)


def format_error(error: GraphQLError, request_id: str) -> dict[str, Any]:
    original = error.original_error
    formatted: dict[str, Any] = {"message": error.message}
    if error.locations:
        formatted["locations"] = [{"line": loc.line, "column": loc.column} for loc in error.locations]
    if error.path:
        formatted["path"] = error.path
    if isinstance(original, ApiError):
        formatted["message"] = original.message
        extensions = {"code": original.code, **original.extensions}
    elif is_unexpected(error):
        formatted["message"] = INTERNAL_MESSAGE
        extensions = {"code": "INTERNAL_SERVER_ERROR", "requestId": request_id}
    elif is_limit_error(error):
        extensions = {"code": "QUERY_TOO_COMPLEX"}
    else:
        extensions = {"code": "BAD_USER_INPUT", **(error.extensions or {})}
    formatted["extensions"] = extensions
    return formatted


def log_unexpected(errors: list[GraphQLError], request_id: str) -> None:
    for error in errors:
        if is_unexpected(error):
            logger.error(
                "unexpected error in %s (request id %s)",
                ".".join(map(str, error.path or [])) or "request",
                request_id,
                exc_info=error.original_error,
            )


def record_error_codes(codes: list[str]) -> None:
    """Count the codes answered (metrics) and note them in the request's stats (log line)."""
    stats = current_stats.get()
    for code in codes:
        GRAPHQL_ERRORS.labels(code).inc()
        if stats is not None:
            stats.error_codes.append(code)
