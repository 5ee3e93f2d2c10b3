"""The closed set of errors a client can see, each with its `extensions.code` (SPEC section 5).

Every code is one exception class here, and what a client may know of an error is its `entry()`; inside a
GraphQL result `graphql_api.graphql.errors` places it, and a whole request refused over HTTP answers with the
class's `http_status` (graphql_api.http.responses). Anything else raised while serving a request is
unexpected: it is logged with its stack and reaches the client only as INTERNAL_SERVER_ERROR with a request id.
"""

from __future__ import annotations

from typing import Any


class ApiError(Exception):
    """An error a client may see: its message, its code and any further `extensions`.

    A subclass names its code and status in its header: `class NotFound(ApiError, code="NOT_FOUND", http_status=404)`.
    """

    code = "INTERNAL_SERVER_ERROR"
    http_status = 500
    """The status of an HTTP response refusing a whole request with this error (before any GraphQL runs)."""

    def __init_subclass__(cls, code: str | None = None, http_status: int | None = None, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if code is not None:
            cls.code = code
        if http_status is not None:
            cls.http_status = http_status

    def __init__(self, message: str, **extensions: Any) -> None:
        super().__init__(message)
        self.message = message
        self.extensions = extensions

    def entry(self) -> dict[str, Any]:
        """An entry of a response's `errors`, without location: what a client may know of this error."""
        return {"message": self.message, "extensions": {"code": self.code, **self.extensions}}


class BadUserInput(ApiError, code="BAD_USER_INPUT", http_status=400):
    """A value the API refuses, named by its `field`; or, with no field, the request itself (not JSON, ...)."""

    def __init__(self, field: str | None, message: str) -> None:
        if field is None:
            super().__init__(message)
        else:
            super().__init__(f"{field}: {message}", field=field)


class MalformedRequest(BadUserInput):
    """The HTTP request itself refused (not JSON, a wrong method or media type), with the status saying which."""

    def __init__(self, message: str, http_status: int = 400) -> None:
        super().__init__(None, message)
        self.http_status = http_status


class BodyTooLarge(BadUserInput):
    """A request body over MAX_BODY_BYTES, refused while it is read (graphql_api.http.body_limit)."""

    http_status = 413

    def __init__(self, max_bytes: int) -> None:
        super().__init__(None, f"the request body exceeds {max_bytes} bytes")


class NotFound(ApiError, code="NOT_FOUND", http_status=404): ...


class Conflict(ApiError, code="CONFLICT", http_status=409): ...


class VersionMismatch(ApiError, code="VERSION_MISMATCH", http_status=409): ...


class OutOfStock(ApiError, code="OUT_OF_STOCK", http_status=409): ...


class InvalidTransition(ApiError, code="INVALID_TRANSITION", http_status=409): ...


class Throttled(ApiError, code="THROTTLED", http_status=429): ...


class RateLimited(ApiError, code="RATE_LIMITED", http_status=429):
    """The caller's budget for this window is spent (graphql_api.http.rate_limit): retry after `retryAfter` seconds."""


class Unavailable(ApiError, code="UNAVAILABLE", http_status=503): ...


class QueryTooComplex(ApiError, code="QUERY_TOO_COMPLEX", http_status=400):
    """A query over one of the limits (docs/limits.md): `limit` names it, `allowed` is its value."""

    def __init__(self, message: str, limit: str, allowed: int) -> None:
        super().__init__(message, limit=limit, allowed=allowed)


class Unauthenticated(ApiError, code="UNAUTHENTICATED", http_status=401): ...


class Forbidden(ApiError, code="FORBIDDEN", http_status=403): ...


class InternalServerError(ApiError):
    """What a client sees of an unexpected failure: a fixed message and the request id to quote."""

    code = "INTERNAL_SERVER_ERROR"

    def __init__(self, request_id: str) -> None:
        super().__init__("Internal server error. Quote the request id when reporting it.", requestId=request_id)
