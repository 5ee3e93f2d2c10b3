"""The Strawberry schema and the HTTP view that serves it (GraphiQL on GET, JSON on POST)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import strawberry
from cross_web import HTTPException
from graphql import GraphQLError
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from strawberry.asgi import GraphQL
from strawberry.extensions import DisableIntrospection, SchemaExtension
from strawberry.http import GraphQLHTTPResponse
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult

from graphql_api.dynamo.stats import current_stats
from graphql_api.graphql.context import RequestContext
from graphql_api.graphql.errors import format_error, log_unexpected, record_error_codes
from graphql_api.graphql.limits import limit_extensions
from graphql_api.graphql.mutations import Mutation
from graphql_api.graphql.queries import Query
from graphql_api.http.request_scope import current_request_id
from graphql_api.settings import Settings


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


class Schema(strawberry.Schema):
    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Expected errors are answers, not incidents: only unexpected ones are logged.
        log_unexpected(errors, current_request_id.get())


class RecordOperation(SchemaExtension):
    """Notes each executed operation's name in the request's stats (for the log line and metrics)."""

    def on_operation(self) -> Iterator[None]:
        yield
        stats = current_stats.get()
        if stats is not None:
            stats.graphql_operations.append(self.execution_context.operation_name or "anonymous")


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()
    extensions: list[Callable[[], SchemaExtension]] = [RecordOperation, *limit_extensions(settings)]
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    return Schema(
        query=Query,
        mutation=Mutation,
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": settings.graphql_max_batch_operations}),
    )


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
