"""The closed set of errors a client can see, each with its `extensions.code` (SPEC section 5).

Every code is one exception class here; `graphql_api.graphql.errors` turns them into what a client
receives. Anything else raised while serving a request is unexpected: it is logged with its stack and
reaches the client only as INTERNAL_SERVER_ERROR with a request id.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client may see: its message, its code and any further `extensions`."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(ApiError):
    """A value the API refuses, named by its `field`; or, with no field, the request itself (not JSON, ...)."""

    code = "BAD_USER_INPUT"

    def __init__(self, field: str | None, message: str) -> None:
        if field is None:
            super().__init__(message)
        else:
            super().__init__(f"{field}: {message}", field=field)


class NotFound(ApiError):
    code = "NOT_FOUND"


class Conflict(ApiError):
    code = "CONFLICT"


class VersionMismatch(ApiError):
    code = "VERSION_MISMATCH"


class OutOfStock(ApiError):
    code = "OUT_OF_STOCK"


class InvalidTransition(ApiError):
    code = "INVALID_TRANSITION"


class Throttled(ApiError):
    code = "THROTTLED"


class Unavailable(ApiError):
    code = "UNAVAILABLE"


class QueryTooComplex(ApiError):
    """A query over one of the limits (docs/limits.md): `limit` names it, `allowed` is its value."""

    code = "QUERY_TOO_COMPLEX"

    def __init__(self, message: str, limit: str, allowed: int) -> None:
        super().__init__(message, limit=limit, allowed=allowed)


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"


class InternalServerError(ApiError):
    """What a client sees of an unexpected failure: a fixed message and the request id to quote."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, request_id: str) -> None:
        super().__init__("Internal server error. Quote the request id when reporting it.", requestId=request_id)
