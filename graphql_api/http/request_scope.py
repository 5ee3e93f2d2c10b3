"""Per-HTTP-request scope: a request id, the request's stats, one structured log line, latency metrics.

The request id comes from a sane incoming `X-Request-ID` or is made here; it is echoed in the
response, quoted in masked errors, and logged with what the request cost: DynamoDB requests,
consumed capacity, the GraphQL operations and the error codes answered.
"""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from contextvars import ContextVar

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from graphql_api.dynamo.stats import RequestStats, current_stats
from graphql_api.metrics import GRAPHQL_DURATION, operation_label

logger = logging.getLogger("graphql_api.request")

current_request_id: ContextVar[str] = ContextVar("current_request_id", default="-")
_SANE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


class RequestScopeMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _SANE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        stats = RequestStats()
        id_token = current_request_id.set(request_id)
        stats_token = current_stats.set(stats)
        started = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                headers.append((b"x-dynamodb-requests", str(stats.dynamodb_requests).encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            elapsed = time.perf_counter() - started
            if stats.graphql_operations:
                GRAPHQL_DURATION.labels(operation_label(stats.graphql_operations[0])).observe(elapsed)
            logger.info(
                json.dumps(
                    {
                        "event": "http_request",
                        "method": scope["method"],
                        "path": scope["path"],
                        "status": status,
                        "durationMs": round(elapsed * 1000, 1),
                        "requestId": request_id,
                        "operations": stats.graphql_operations,
                        "dynamodbRequests": stats.dynamodb_requests,
                        "consumedCapacity": stats.consumed_capacity,
                        "errorCodes": stats.error_codes,
                    }
                )
            )
            current_stats.reset(stats_token)
            current_request_id.reset(id_token)
