"""The HTTP view of the schema: GraphiQL on a browser's GET, GraphQL over JSON, errors as clients see them."""

from __future__ import annotations

import json
from typing import Any

from cross_web import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLHTTPResponse
from strawberry.types import ExecutionResult

from graphql_api.auth.identity import Identity
from graphql_api.auth.jwks import JwksUnavailable
from graphql_api.auth.tokens import InvalidToken, TokenVerifier
from graphql_api.graphql.context import RequestContext
from graphql_api.graphql.errors import format_error, record_error_codes
from graphql_api.graphql.schema import Schema
from graphql_api.http.request_scope import current_request_id
from graphql_api.settings import Settings

IDENTITY_SCOPE_KEY = "graphql_api.identity"


def authorization_headers(scope: Scope) -> list[str]:
    return [value.decode("latin-1") for name, value in scope["headers"] if name == b"authorization"]


def error_response(message: str, code: str, status: int, headers: dict[str, str] | None = None) -> JSONResponse:
    record_error_codes([code])
    return JSONResponse({"errors": [{"message": message, "extensions": {"code": code}}]}, status, headers)


def token_refused(reason: str) -> JSONResponse:
    """RFC 6750: 401 with `WWW-Authenticate: Bearer error="invalid_token"`; the reason is safe to show."""
    return error_response(
        f"invalid access token: {reason}",
        "UNAUTHENTICATED",
        401,
        {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="' + reason + '"'},
    )


def issuer_unavailable() -> JSONResponse:
    return error_response("the token issuer's keys cannot be read; retry later", "UNAVAILABLE", 503)


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


class GraphQLView(GraphQL[RequestContext, None]):
    """The DynamoDB client is the application's, opened in its lifespan (`app.state.dynamo`)."""

    def __init__(self, schema: Schema, settings: Settings, verifier: TokenVerifier) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.settings = settings
        self.verifier = verifier

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL on the assets this app serves, when fetched (graphql_api.graphiql; chosen in create_app)."""
        page = request.app.state.graphiql
        defaults = request.app.state.graphiql_defaults
        return HTMLResponse(page.html if defaults is None else page.with_defaults(await defaults()))

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        identity: Identity = request.scope[IDENTITY_SCOPE_KEY]
        return RequestContext(dynamo=request.app.state.dynamo, settings=self.settings, identity=identity)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but HTTP-level rejections (bad JSON, wrong method, too many operations)
        answer with a GraphQL-shaped JSON error carrying a code, not plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            # The token is checked before anything else: a bad one is refused whole, costing no DynamoDB request.
            scope[IDENTITY_SCOPE_KEY] = await self.verifier.identity(authorization_headers(scope))
        except InvalidToken as invalid:
            await token_refused(str(invalid))(scope, receive, send)
            return
        except JwksUnavailable:
            await issuer_unavailable()(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            code = "QUERY_TOO_COMPLEX" if error.reason == "Too many operations" else "BAD_USER_INPUT"
            response = error_response(error.reason, code, error.status_code)
        await response(scope, receive, send)

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: NaN and Infinity are not JSON, whatever Python's parser allows."""
        return json.loads(data, parse_constant=_reject_constant)

    def parse_json(self, data: str | bytes) -> Any:
        """A body (or the `variables` of a GET) must be an object, or a list of objects for a batch."""
        value = super().parse_json(data)
        if isinstance(value, dict) or (isinstance(value, list) and all(isinstance(item, dict) for item in value)):
            return value
        raise HTTPException(400, "The request must be a JSON object, or a list of objects for a batch")

    async def process_result(self, request: Request | Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        body: GraphQLHTTPResponse = {"data": result.data}
        if result.errors:
            request_id = current_request_id.get()
            errors = [format_error(error, request_id) for error in result.errors]
            record_error_codes([error["extensions"]["code"] for error in errors])
            body["errors"] = errors  # type: ignore[typeddict-item]
        if result.extensions:
            body["extensions"] = result.extensions
        return body
