"""OpenTelemetry traces (graphql_api.tracing): the canonical query's spans, the caller's traceparent, the log line.

The app is built with tracing on through the SDK's in-memory exporter, against the real backend's tables.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from starlette.testclient import TestClient

from graphql_api import tracing
from graphql_api.app import create_app
from graphql_api.logs import RequestIdFilter
from tests.issuer import admin_headers
from tests.operations import CANONICAL
from tests.support import Api, logged

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


def _limiter(span: ReadableSpan) -> bool:
    """A span of the rate limiter's own calls (graphql_api.http.rate_limit): its charge or a reconciliation."""
    return (span.attributes or {}).get("aws.dynamodb.table_names") == ("RateLimits",)


def _parent(span: ReadableSpan) -> int:
    assert span.parent is not None, span.name
    return span.parent.span_id


@dataclass
class Traced:
    client: TestClient
    spans: InMemorySpanExporter

    def canonical(self, api: Api, headers: dict[str, str] | None = None) -> tuple[int, list[ReadableSpan]]:
        self.spans.clear()
        response = self.client.post(
            "/graphql",
            json={"query": CANONICAL, "variables": {"id": api.data.canonical.customer_id}},
            headers={**admin_headers(), **(headers or {})},
        )
        assert response.status_code == 200, response.text
        assert "errors" not in response.json()
        return int(response.headers["x-dynamodb-requests"]), list(self.spans.get_finished_spans())


@pytest.fixture(scope="module")
def traced(api: Api) -> Iterator[Traced]:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracing.install(provider)
    try:
        with TestClient(create_app(api.settings)) as client:
            yield Traced(client, exporter)
    finally:
        tracing.install(None)


def test_the_canonical_query_is_one_span_per_dynamodb_request_under_its_operation(api: Api, traced: Traced) -> None:
    requests, spans = traced.canonical(api)
    (http,) = [span for span in spans if span.kind == SpanKind.SERVER]
    (operation,) = [span for span in spans if span.name.startswith("GraphQL")]
    limiter = [span for span in spans if _limiter(span)]
    # The rate limiter's charge, under the request's span: a query runs while it is charged (graphql_api.http.
    # rate_limit), and the refund of its estimate over the 4 requests made rides on the caller's next charge.
    (charge,) = [span for span in limiter if _parent(span) == http.context.span_id]
    assert charge.name == "DynamoDB.UpdateItem"
    assert _parent(charge) == http.context.span_id
    calls = [span for span in spans if span.name.startswith("DynamoDB.") and not _limiter(span)]
    assert requests == 4
    assert len(calls) == requests
    assert http.name == "POST /graphql"
    assert (http.attributes or {})["http.response.status_code"] == 200
    assert operation.name == "GraphQL Canonical"
    assert _parent(operation) == http.context.span_id
    for call in calls:
        assert _parent(call) == operation.context.span_id, call.name
        assert call.context.trace_id == http.context.trace_id
        assert call.kind == SpanKind.CLIENT
        attributes = call.attributes or {}
        assert attributes["aws.dynamodb.table_names"], call.name
        assert float(attributes["aws.dynamodb.consumed_capacity_units"]) > 0, call.name  # type: ignore[arg-type]
        assert attributes["aws.dynamodb.retries"] == 0
    names = sorted(call.name for call in calls)
    assert "DynamoDB.Query" in names  # the customer's orders
    # No span per resolved field: the request, its operation and its DynamoDB calls, nothing else (but the limiter).
    assert len([span for span in spans if not _limiter(span)]) == 2 + requests


def test_the_callers_traceparent_is_continued(api: Api, traced: Traced) -> None:
    _, spans = traced.canonical(api, {"traceparent": f"00-{CALLER_TRACE}-{CALLER_SPAN}-01"})
    (http,) = [span for span in spans if span.kind == SpanKind.SERVER]
    assert format(http.context.trace_id, "032x") == CALLER_TRACE
    assert format(_parent(http), "016x") == CALLER_SPAN
    # (A reconciliation of the previous request's charge may end meanwhile, in that request's trace.)
    assert {span.context.trace_id for span in spans if not _limiter(span)} == {http.context.trace_id}


def test_the_request_log_line_carries_its_trace_id(api: Api, traced: Traced, caplog: pytest.LogCaptureFixture) -> None:
    caplog.handler.addFilter(RequestIdFilter())  # as the service's own handler (graphql_api.logs)
    with caplog.at_level(logging.INFO, logger="graphql_api.request"):
        _, spans = traced.canonical(api)
    (line,) = logged(caplog.records)
    (http,) = [span for span in spans if span.kind == SpanKind.SERVER]
    assert line["traceId"] == format(http.context.trace_id, "032x")
    assert line["spanId"] == format(http.context.span_id, "016x")


def test_each_websocket_operation_is_a_span_with_its_dynamodb_calls(api: Api, traced: Traced) -> None:
    """A query and a subscription over graphql-transport-ws: a root span each, for the operation's whole life."""
    product_id = api.data.dataset.products[0].product_id
    subscription = "subscription Watch($ids: [ID!]!) { productChanged(productIds: $ids, initial: true) { productId } }"
    traced.spans.clear()
    with traced.client.websocket_connect("/graphql", subprotocols=["graphql-transport-ws"]) as socket:
        socket.send_json({"type": "connection_init", "payload": admin_headers()})
        assert socket.receive_json()["type"] == "connection_ack"
        variables = {"id": api.data.canonical.customer_id}
        socket.send_json({"id": "q", "type": "subscribe", "payload": {"query": CANONICAL, "variables": variables}})
        answered = socket.receive_json()
        assert answered["type"] == "next", answered
        assert "errors" not in answered["payload"], answered
        assert socket.receive_json() == {"id": "q", "type": "complete"}
        payload = {"query": subscription, "variables": {"ids": [product_id]}}
        socket.send_json({"id": "s", "type": "subscribe", "payload": payload})
        state = socket.receive_json()  # initial: true, the product's current state
        assert state["type"] == "next", state
        socket.send_json({"id": "s", "type": "complete"})  # the client ends it: its span ends
        deadline = time.monotonic() + 30
        while not [span for span in traced.spans.get_finished_spans() if span.name == "GraphQL Watch"]:
            assert time.monotonic() < deadline, "the subscription's span never ended"
            time.sleep(0.05)
    spans = [span for span in traced.spans.get_finished_spans() if not _limiter(span)]
    (query,) = [span for span in spans if span.name == "GraphQL Canonical"]
    (watch,) = [span for span in spans if span.name == "GraphQL Watch"]
    for span, kind in ((query, "query"), (watch, "subscription")):
        assert span.kind == SpanKind.SERVER
        assert span.parent is None  # a socket has no request span
        assert (span.attributes or {})["graphql.operation.type"] == kind
    assert (watch.attributes or {}).get("graphql.cancelled") is True
    assert watch.status.is_ok  # ended by the client: not an error
    under_query = [span for span in spans if span.parent is not None and span.parent.span_id == query.context.span_id]
    assert len(under_query) == 4  # the canonical query's 4 DynamoDB requests
    assert all(span.name.startswith("DynamoDB.") for span in under_query)
    under_watch = [span for span in spans if span.parent is not None and span.parent.span_id == watch.context.span_id]
    assert under_watch, "the initial state's read is not under the subscription's span"
