"""The closed set of errors a client can see, each with its `extensions.code` (SPEC section 5).

Anything else raised while serving a request is unexpected: it is logged with its stack and
reaches the client only as INTERNAL_SERVER_ERROR with a request id.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions


class BadUserInput(ApiError):
    code = "BAD_USER_INPUT"

    def __init__(self, field: str, message: str) -> None:
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
    code = "QUERY_TOO_COMPLEX"


class Unauthenticated(ApiError):
    code = "UNAUTHENTICATED"


class Forbidden(ApiError):
    code = "FORBIDDEN"
