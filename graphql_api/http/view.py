"""The HTTP view of the schema: GraphiQL on a browser's GET, GraphQL over JSON, errors as clients see them."""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from datetime import timedelta
from typing import Any

from cross_web import HTTPException
from graphql import DocumentNode, GraphQLError, OperationDefinitionNode, OperationType, parse
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.types import Receive, Scope, Send
from starlette.websockets import WebSocket
from strawberry.asgi import GraphQL
from strawberry.exceptions import ConnectionRejectionError
from strawberry.http import GraphQLHTTPResponse, GraphQLRequestData
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL
from strawberry.types import ExecutionResult
from strawberry.types.unset import UNSET, UnsetType

from graphql_api import tracing
from graphql_api.auth.identity import ANONYMOUS
from graphql_api.auth.jwks import JwksUnavailable
from graphql_api.auth.tokens import InvalidToken, TokenVerifier
from graphql_api.errors import ApiError, BadUserInput, MalformedRequest, QueryTooComplex, Unauthenticated, Unavailable
from graphql_api.graphql.connection import ConnectionContext, TokenBoundConnection
from graphql_api.graphql.context import RequestContext
from graphql_api.graphql.cost import estimate
from graphql_api.graphql.errors import is_request_error
from graphql_api.graphql.public_documents import PublicDocuments
from graphql_api.graphql.schema import Schema
from graphql_api.http.conditional_get import ConditionalGet
from graphql_api.http.graphiql import GraphiQLDefaults, GraphiQLPage
from graphql_api.http.rate_limit import Decision, RateLimitedWith, RateLimiter, client_address
from graphql_api.http.rate_limit_store import open_store
from graphql_api.http.responses import error_response
from graphql_api.metrics import LIVE_CONNECTIONS
from graphql_api.repositories._stamp import acting_as, actor_name
from graphql_api.request_scope import current_identity, current_scope, record_error_codes
from graphql_api.services import Services, services_of
from graphql_api.settings import Settings

logger = logging.getLogger("graphql_api.request")
_READING_BODY: ContextVar[bool] = ContextVar("reading_body", default=False)


def authorization_headers(scope: Scope) -> list[str]:
    return [value.decode("latin-1") for name, value in scope["headers"] if name == b"authorization"]


def token_refused(reason: str) -> JSONResponse:
    """RFC 6750: 401 with `WWW-Authenticate: Bearer error="invalid_token"`; the reason is safe to show."""
    return error_response(
        Unauthenticated(f"invalid access token: {reason}"),
        {"WWW-Authenticate": 'Bearer error="invalid_token", error_description="' + reason + '"'},
    )


def issuer_unavailable() -> JSONResponse:
    return error_response(Unavailable("the token issuer's keys cannot be read; retry later"))


GRAPHQL_RESPONSE_MEDIA_TYPE = "application/graphql-response+json; charset=utf-8"


def accepts_graphql_response(accept: str) -> bool:
    """Whether the Accept header lists application/graphql-response+json (with a q above 0)."""
    for entry in accept.split(","):
        media_type, *parameters = (part.strip() for part in entry.split(";"))
        if media_type.lower() == "application/graphql-response+json":
            return not any(
                parameter.replace(" ", "") in ("q=0", "q=0.0", "q=0.00", "q=0.000") for parameter in parameters
            )
    return False


def _checked_operation(operation: dict[str, Any]) -> dict[str, Any]:
    """Strawberry checks `query`, `variables` and `extensions`; `operationName` must be a string too (else 400)."""
    if not isinstance(operation.get("operationName"), str | None):
        raise HTTPException(400, "The GraphQL operation's `operationName` must be a string or null, if provided.")
    return operation


def _reject_constant(name: str) -> None:
    raise json.JSONDecodeError(f"{name} is not valid JSON", name, 0)


@functools.lru_cache(maxsize=256)
def _parsed(query: str) -> DocumentNode | None:
    """The document the rate limiter prices (None when it does not parse: refused before any DynamoDB request)."""
    try:
        return parse(query)
    except GraphQLError:
        return None


def _is_mutation(document: DocumentNode, operation_name: str | None) -> bool:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    chosen = [o for o in operations if operation_name is None or (o.name and o.name.value == operation_name)]
    return any(operation.operation is OperationType.MUTATION for operation in chosen[:1] or operations[:1])


class GraphQLView(GraphQL[RequestContext, None]):
    """The DynamoDB client is the application's (graphql_api.services); GraphiQL's page is chosen in create_app."""

    graphql_transport_ws_handler_class = TokenBoundConnection  # closes a connection when its token expires

    def __init__(
        self,
        schema: Schema,
        settings: Settings,
        verifier: TokenVerifier,
        graphiql: GraphiQLPage,
        graphiql_defaults: Callable[[], Awaitable[GraphiQLDefaults]] | None = None,
    ) -> None:
        # Subscriptions over graphql-transport-ws only: the legacy graphql-ws protocol is off
        # (its handler had an auth-bypass advisory, GHSA-vpwc-v33q-mq89).
        super().__init__(
            schema,
            graphql_ide="graphiql",
            subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            connection_init_wait_timeout=timedelta(seconds=settings.ws_connection_init_timeout),
        )
        self.documents = schema.documents
        self.graphql_schema = schema._schema  # graphql-core's, which the cost estimate reads
        self.max_subscriptions_per_connection = settings.subscriptions_per_connection
        self.settings = settings
        self.verifier = verifier
        self.graphiql = graphiql
        self.graphiql_defaults = graphiql_defaults
        self.connections: Counter[str] = Counter()
        """Open WebSocket connections per identity (subject, or "anonymous")."""
        self._limiter: tuple[Services, RateLimiter] | None = None
        self.conditional_get = ConditionalGet(settings, schema.documents, PublicDocuments(schema._schema))

    async def render_graphql_ide(self, request: Request) -> Response:
        """GraphiQL on the assets this app serves, when fetched (graphql_api.http.graphiql; chosen in create_app)."""
        page, defaults = self.graphiql, self.graphiql_defaults
        return HTMLResponse(page.html if defaults is None else page.with_defaults(await defaults()))

    async def get_context(self, request: Any, response: Any) -> RequestContext:
        services = services_of(request.app)
        if isinstance(request, WebSocket):
            # Anonymous until connection_init brings a token (on_ws_connect).
            context = ConnectionContext(
                client_address=request.client.host if request.client else "unknown",
                dynamo=services.dynamo,
                settings=self.settings,
                identity=ANONYMOUS,
                live=services.live,
            )
            request.scope.setdefault("state", {})["graphql_context"] = context  # for the connection's log line
            self._limit_operations(context, self.limiter(services))
            return context
        return RequestContext(dynamo=services.dynamo, settings=self.settings, identity=current_identity())

    async def on_ws_connect(self, context: RequestContext) -> UnsetType | dict[str, object] | None:
        """The token travels in connection_init's payload: {"Authorization": "Bearer ..."}.

        A present but invalid token closes the socket with 4403; so does going over the connections one
        identity may hold open (WS_CONNECTIONS_PER_IDENTITY). A connection lives until its token expires,
        then is closed with 4403, reason "token expired" (graphql_api.graphql.connection).
        """
        params = context.connection_params or {}
        authorization = params.get("Authorization") or params.get("authorization")
        try:
            context.identity, expires_at = await self.verifier.credentials(
                [authorization] if isinstance(authorization, str) else []
            )
        except (InvalidToken, JwksUnavailable) as refused:
            raise ConnectionRejectionError({"reason": str(refused)}) from None
        if isinstance(context, ConnectionContext):
            context.token_expires_at = expires_at
        owner = context.identity.subject or f"anonymous@{context.client_address}"
        if self.connections[owner] >= self.settings.ws_connections_per_identity:
            raise ConnectionRejectionError({"reason": "too many connections for this identity"})
        if isinstance(context, ConnectionContext) and context.charge_operation is not None:
            try:
                await context.charge_operation()  # a connection costs its identity 1, as each operation on it
            except (RateLimitedWith, Unavailable) as refused:
                raise ConnectionRejectionError({"reason": refused.message, **refused.extensions}) from None
        self.connections[owner] += 1
        context.connection_owner = owner
        LIVE_CONNECTIONS.inc()
        acknowledged: UnsetType = UNSET  # a plain connection_ack
        return acknowledged

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """As Strawberry's, but HTTP-level rejections (bad JSON, wrong method, too many operations)
        answer with a GraphQL-shaped JSON error carrying a code, not plain text."""
        if scope["type"] == "websocket":
            await self._serve_websocket(scope, receive, send)
            return
        if scope["type"] != "http":
            await super().__call__(scope, receive, send)
            return
        request = Request(scope=scope, receive=receive)
        request.state.graphql_response = accepts_graphql_response(request.headers.get("accept", ""))
        request.state.request_error = False
        try:
            # The token is checked before anything else: a bad one is refused whole, costing no DynamoDB request.
            current_scope().identity = identity = await self.verifier.identity(authorization_headers(scope))
            acting_as(actor_name(identity.role.name, identity.subject))  # the audit trail's stamp on its writes
            response = await self.conditional_get.answer(request, self.run)  # a 304 may not run it
        except InvalidToken as invalid:
            response = token_refused(str(invalid))
        except JwksUnavailable:
            response = issuer_unavailable()
        except QueryTooComplex as error:
            response = error_response(error)
        except RateLimitedWith as refused:
            response = error_response(refused)
            request.state.rate_limit = refused.decision  # its RateLimit headers below, with Retry-After
        except Unavailable as error:  # the rate limiter's store, when RATE_LIMIT_FAIL_OPEN=false
            response = error_response(error)
        except HTTPException as error:
            # Strawberry's refusals of the HTTP request itself: not JSON, wrong method or content type.
            response = error_response(MalformedRequest(error.reason, error.status_code))
        except BadUserInput as error:
            # A document id that is not known, or not usable (graphql_api.graphql.documents): a request error,
            # a 200 under application/json (a 400 under the spec's own media type, below).
            response = error_response(error, status=200)
            request.state.request_error = True
        decision: Decision | None = getattr(request.state, "rate_limit", None)
        if decision is not None:
            response.headers.update(decision.headers())
        if request.state.graphql_response and response.media_type == "application/json":
            # GraphQL over HTTP: the client accepts the spec's own media type, whose status codes say more.
            response.headers["content-type"] = GRAPHQL_RESPONSE_MEDIA_TYPE
            if request.state.request_error:
                response.status_code = 400
        response = self.conditional_get.finish(request, response)  # ETag and Cache-Control
        await response(scope, receive, send)

    async def _serve_websocket(self, scope: Scope, receive: Receive, send: Send) -> None:
        """One WebSocket connection, and one log line when it ends: its identity, duration and subscriptions."""
        started = time.perf_counter()
        state: dict[str, Any] = scope.setdefault("state", {})
        try:
            await super().__call__(scope, receive, send)
        finally:
            context: RequestContext | None = state.get("graphql_context")
            owner = getattr(context, "connection_owner", None)
            if owner is not None:
                self.connections[owner] -= 1
                if not self.connections[owner]:
                    del self.connections[owner]
                LIVE_CONNECTIONS.dec()
            logger.info(
                "ws_connection",
                extra={
                    "path": scope["path"],
                    "durationMs": round((time.perf_counter() - started) * 1000, 1),
                    "identity": owner,
                    "subscriptions": getattr(context, "subscriptions_started", 0),
                    "eventsSent": getattr(context, "events_sent", 0),
                },
            )

    def limiter(self, services: Services) -> RateLimiter | None:
        """The app's rate limiter (None when RATE_LIMIT_ENABLED=false), on the DynamoDB client of its lifespan."""
        if not self.settings.rate_limit_enabled:
            return None
        if self._limiter is None or self._limiter[0] is not services:
            self._limiter = (services, RateLimiter(self.settings, open_store(self.settings, services.dynamo)))
        return self._limiter[1]

    async def settled(self) -> None:
        """The rate limiter's charges and reconciliations in flight, done (at shutdown, before the client closes)."""
        if self._limiter is not None:
            await self._limiter[1].settled()

    @staticmethod
    def _limit_operations(context: ConnectionContext, limiter: RateLimiter | None) -> None:
        """A WebSocket's connection and each operation on it cost its identity 1 (a subscription's events nothing)."""
        if limiter is None:
            return

        async def charge() -> None:
            await limiter.charge(context.identity, context.client_address or "unknown", 1, 0)

        context.charge_operation = charge

    def _estimated(self, operations: list[GraphQLRequestData]) -> tuple[int, int]:
        """The DynamoDB requests the operations may cause (at least 1 each), and of those the mutations'."""
        requests = mutations = 0
        for operation in operations:
            amount, is_mutation = 1, False
            if isinstance(operation.query, str):
                variables = operation.variables if isinstance(operation.variables, dict) else {}
                try:
                    # The same document with the same variables is priced once (70 us for the canonical query).
                    key = json.dumps(variables, sort_keys=True, separators=(",", ":"))
                except (TypeError, ValueError):
                    key = None
                if key is None:
                    amount, is_mutation = self._priced(operation.query, operation.operation_name, variables)
                else:
                    amount, is_mutation = self._priced_once(operation.query, operation.operation_name, key)
            if is_mutation:
                mutations += amount
            requests += amount
        return requests, mutations

    @functools.lru_cache(maxsize=1024)  # noqa: B019 (one view per app, living as long as the app)
    def _priced_once(self, query: str, operation_name: str | None, variables_json: str) -> tuple[int, bool]:
        return self._priced(query, operation_name, json.loads(variables_json))

    def _priced(self, query: str, operation_name: str | None, variables: dict[str, Any]) -> tuple[int, bool]:
        """(the requests one operation is charged, whether it is a mutation)."""
        document = _parsed(query)
        if document is None:
            return 1, False
        try:
            budget = self.settings.filter_read_budget
            cost = estimate(self.graphql_schema, document, variables, budget, operation_name)
            # Over GRAPHQL_MAX_REQUESTS it is refused as too complex before any request: it costs 1.
            amount = max(1, cost.requests) if cost.requests <= self.settings.graphql_max_requests else 1
        except (ApiError, GraphQLError, KeyError, TypeError, ValueError):
            amount = 1  # a document the schema refuses: it costs no DynamoDB request
        return amount, _is_mutation(document, operation_name)

    async def execute_operation(
        self,
        request: Any,
        request_adapter: Any,
        request_data: GraphQLRequestData | list[GraphQLRequestData],
        context: RequestContext,
        root_value: None,
        sub_response: Any,
    ) -> Any:
        """As Strawberry's, charged to the caller's rate limit: a mutation before it runs, a query while it runs.

        A write cannot be taken back, so mutations wait for the charge; a query's charge goes to the store
        beside its execution (off the critical path), and a refusal discards its answer for the 429."""
        limiter = self.limiter(services_of(request.app))
        if limiter is None:
            return await super().execute_operation(request, request_adapter, request_data, context, None, sub_response)
        requests, mutations = self._estimated(request_data if isinstance(request_data, list) else [request_data])
        address = client_address(request.scope, self.settings.rate_limit_trusted_proxies)
        identity = current_identity()
        limiter.refuse_known(identity, address, requests, mutations)  # refused this window: no store request
        charging = asyncio.ensure_future(limiter.charge(identity, address, requests, mutations))
        decision: Decision | None = None
        try:
            if mutations:
                request.state.rate_limit = decision = await charging
            return await super().execute_operation(request, request_adapter, request_data, context, None, sub_response)
        finally:
            # The charge's refusal (or UNAVAILABLE) replaces the query's answer, or its error.
            request.state.rate_limit = decision = await charging
            if decision is not None:
                limiter.reconcile(decision, current_scope().dynamodb_requests)

    async def execute_single(
        self,
        request: Any,
        request_adapter: Any,
        sub_response: Any,
        context: RequestContext,
        root_value: None,
        request_data: GraphQLRequestData,
    ) -> ExecutionResult:
        """As Strawberry's, inside a span for the operation when tracing is on (its DynamoDB calls its children)."""
        traced = tracing.tracer()
        if traced is None:
            return await super().execute_single(request, request_adapter, sub_response, context, None, request_data)
        scope = current_scope()
        ran, estimated = len(scope.graphql_operations), scope.estimated_requests
        with traced.start_as_current_span("GraphQL operation") as span:
            result = await super().execute_single(request, request_adapter, sub_response, context, None, request_data)
            # The name the operation ran under (the scope notes it once it ran), as the request's log line says it.
            name = scope.graphql_operations[-1] if len(scope.graphql_operations) > ran else None
            if name is not None:
                span.update_name(f"GraphQL {name}")
                span.set_attribute("graphql.operation.name", name)
            span.set_attribute("graphql.estimated_dynamodb_requests", scope.estimated_requests - estimated)
            if result.errors:
                span.set_attribute("graphql.errors", len(result.errors))
            return result

    def decode_json(self, data: str | bytes) -> object:
        """Strict JSON: NaN and Infinity are not JSON, whatever Python's parser allows."""
        return json.loads(data, parse_constant=_reject_constant)

    def parse_query_params(self, params: Any) -> dict[str, Any]:
        """A GET's operation, with a trusted document's text in place of its id (graphql_api.graphql.documents)."""
        return self._operation(super().parse_query_params(params))

    def _operation(self, request_data: dict[str, Any]) -> dict[str, Any]:
        """One operation of a request, checked, its document resolved from an id where it has one."""
        return self.documents.resolve(_checked_operation(request_data))

    async def parse_http_body(self, request: Any) -> Any:
        # Strawberry parses a POST's body with parse_json, as it does a GET's `variables`: only the body is resolved.
        reading_body = _READING_BODY.set(request.method == "POST")
        try:
            return await super().parse_http_body(request)
        finally:
            _READING_BODY.reset(reading_body)

    def parse_json(self, data: str | bytes) -> Any:
        """A body (or the `variables` of a GET) must be an object, or a list of objects for a batch.

        The batch's size is checked here, before Strawberry's own check, whose refusal carries no code.
        """
        value = super().parse_json(data)
        if isinstance(value, dict):
            return self._operation(value) if _READING_BODY.get() else value
        if isinstance(value, list) and all(isinstance(item, dict) for item in value):
            limit = self.settings.graphql_max_batch_operations
            if len(value) > limit:
                raise QueryTooComplex(
                    f"the batch holds {len(value)} operations; the limit is {limit}", "batchOperations", limit
                )
            if not _READING_BODY.get():
                return value
            return [self._operation(item) for item in value]
        raise HTTPException(400, "The request must be a JSON object, or a list of objects for a batch")

    async def process_result(self, request: Request | Any, result: ExecutionResult) -> GraphQLHTTPResponse:
        body: GraphQLHTTPResponse = {"data": result.data}
        if is_request_error(result.data, result.errors) and getattr(request.state, "graphql_response", False):
            # Nothing was executed (a document that does not parse or validate, variables that do not coerce):
            # under application/graphql-response+json that is a 400 without a `data` entry.
            request.state.request_error = True
            del body["data"]
        if result.errors:
            # Schema.process_errors already made each error what a client may see (graphql_api.graphql.errors).
            errors = [error.formatted for error in result.errors]
            record_error_codes([error["extensions"]["code"] for error in errors])
            body["errors"] = errors  # type: ignore[typeddict-item]
        if result.extensions:
            body["extensions"] = result.extensions
        return body
