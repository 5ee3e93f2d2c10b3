"""The one mapping from an error to an HTTP response refusing a whole request: the error's entry, its status."""

from __future__ import annotations

from starlette.responses import JSONResponse

from graphql_api.errors import ApiError
from graphql_api.request_scope import record_error_codes


def error_response(
    error: ApiError, headers: dict[str, str] | None = None, *, status: int | None = None
) -> JSONResponse:
    """A GraphQL-shaped JSON error (bad token, body too large, not JSON, ...) with the error class's `http_status`.

    `status` only where GraphQL over HTTP says otherwise: a request error answered as `application/json` is a 200.
    """
    record_error_codes([error.code])
    return JSONResponse({"errors": [error.entry()]}, status or error.http_status, headers)
