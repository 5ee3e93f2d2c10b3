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

from graphql_api.graphql.context import RequestContext
from graphql_api.graphql.errors import format_error, record_error_codes
from graphql_api.graphql.schema import Schema
from graphql_api.http.request_scope import current_request_id
from graphql_api.settings import Settings


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


class GraphQLView(GraphQL[RequestContext, None]):
    """The DynamoDB client is the application's, opened in its lifespan (`app.state.dynamo`)."""

    def __init__(self, schema: Schema, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql")
        self.settings = settings

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL on the assets this app serves, when fetched (graphql_api.graphiql; chosen in create_app)."""
        return HTMLResponse(request.app.state.graphiql.html)

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        return RequestContext(dynamo=request.app.state.dynamo, settings=self.settings)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but HTTP-level rejections (bad JSON, wrong method, too many operations)
        answer with a GraphQL-shaped JSON error carrying a code, not plain text."""
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        try:
            response = await self.run(Request(scope=scope, receive=receive))
        except HTTPException as error:
            code = "QUERY_TOO_COMPLEX" if error.reason == "Too many operations" else "BAD_USER_INPUT"
            record_error_codes([code])
            response = JSONResponse(
                {"errors": [{"message": error.reason, "extensions": {"code": code}}]}, status_code=error.status_code
            )
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
