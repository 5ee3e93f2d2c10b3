"""Prometheus metrics, served at /metrics: what an operator watches on a GraphQL API over DynamoDB.

With several worker processes (`serve --workers N`), prometheus-client's multiprocess mode is on
(PROMETHEUS_MULTIPROC_DIR, set by `serve` before the workers start): every process writes its values to
files there, and /metrics, whichever worker answers, reads them all: counters and histograms summed,
gauges of live things (connections, subscriptions) summed over the live processes, the stream lag the
maximum.
"""

from __future__ import annotations

import os
import re
import threading

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector
from starlette.requests import Request
from starlette.responses import Response

MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"

REGISTRY = CollectorRegistry()

GRAPHQL_DURATION = Histogram(
    "graphql_request_duration_seconds",
    "Duration of GraphQL HTTP requests, by operation name",
    ["operation"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
    registry=REGISTRY,
)
GRAPHQL_ERRORS = Counter("graphql_errors_total", "GraphQL errors sent to clients, by code", ["code"], registry=REGISTRY)
DYNAMODB_CALLS = Counter(
    "dynamodb_calls_total", "DynamoDB calls made, by table and operation", ["table", "operation"], registry=REGISTRY
)
DYNAMODB_CAPACITY = Counter(
    "dynamodb_consumed_capacity_units_total",
    "Capacity units DynamoDB reported, by table",
    ["table"],
    registry=REGISTRY,
)
DYNAMODB_THROTTLES = Counter(
    "dynamodb_throttles_total",
    "Throttling DynamoDB answered: throttled calls (after retries) and BatchGetItem rounds with UnprocessedKeys",
    ["operation"],
    registry=REGISTRY,
)
LIVE_CONNECTIONS = Gauge(
    "graphql_ws_connections", "Open GraphQL WebSocket connections", registry=REGISTRY, multiprocess_mode="livesum"
)
LIVE_SUBSCRIPTIONS = Gauge(
    "graphql_subscriptions", "Active subscriptions", registry=REGISTRY, multiprocess_mode="livesum"
)
LIVE_EVENTS = Counter(
    "graphql_subscription_events_total",
    "Table changes sent to subscribers (delivered) or dropped with the subscriber that fell behind (dropped)",
    ["outcome"],
    registry=REGISTRY,
)
LIVE_STREAM_LAG = Gauge(
    "dynamodb_stream_lag_seconds",
    "Now minus the ApproximateCreationDateTime of the last stream record read, by table",
    ["table"],
    registry=REGISTRY,
    multiprocess_mode="max",
)

# Operation names are chosen by clients: keep the label set bounded.
MIGRATION_READS = Counter(
    "graphql_migration_reads_total",
    "Reads of the data tables by access pattern and the layout that answered (single-table migration, SPEC 14)",
    ["pattern", "layout"],
    registry=REGISTRY,
)
MIGRATION_SHADOW_READS = Counter(
    "graphql_migration_shadow_reads_total",
    "Shadow reads of the other layout compared with the answer sent: same, different, or error",
    ["pattern", "result"],
    registry=REGISTRY,
)

_MAX_OPERATION_LABELS = 200
_SANE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,63}$")
_seen_operations: set[str] = set()
_seen_lock = threading.Lock()


def operation_label(name: str | None) -> str:
    if not name:
        return "anonymous"
    if not _SANE_NAME.match(name):
        return "other"
    with _seen_lock:
        if name not in _seen_operations and len(_seen_operations) >= _MAX_OPERATION_LABELS:
            return "other"
        _seen_operations.add(name)
    return name


async def metrics_endpoint(request: Request) -> Response:
    directory = os.environ.get(MULTIPROCESS_DIR)
    if directory:
        registry = CollectorRegistry()
        MultiProcessCollector(registry, path=directory)  # type: ignore[no-untyped-call]
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
