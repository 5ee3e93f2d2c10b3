"""OpenTelemetry traces: a span per HTTP request, GraphQL operation and DynamoDB call; nothing at all when off.

On when the environment sets any of the standard `OTEL_*` variables (OTEL_EXPORTER_OTLP_ENDPOINT,
OTEL_SERVICE_NAME, OTEL_TRACES_EXPORTER, ...), unless OTEL_SDK_DISABLED=true or OTEL_TRACES_EXPORTER=none.
The SDK reads the rest itself: the sampler (OTEL_TRACES_SAMPLER), the batch processor's limits (OTEL_BSP_*),
the resource (OTEL_RESOURCE_ATTRIBUTES; the service name defaults to `graphql-api`), the OTLP endpoint and
headers. A tracer provider already installed globally (the ADOT Lambda layer's, or `opentelemetry-instrument`'s)
is used as it is. Off, every hook is one test of a module global: no span, no context, no header parsing.

No span per resolved field (Strawberry's extension makes one per resolved object): a DataLoader batch runs in
the context of the operation that scheduled it, so its BatchGetItem span is a child of that operation's span.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from opentelemetry import trace
from opentelemetry.trace import Span, SpanKind, Tracer

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import SpanProcessor
    from opentelemetry.sdk.trace.export import SpanExporter

logger = logging.getLogger(__name__)

INSTRUMENTATION_NAME = "graphql_api"
DEFAULT_SERVICE_NAME = "graphql-api"

_tracer: Tracer | None = None


def tracer() -> Tracer | None:
    """The tracer of the process; None when tracing is off (the hooks then do nothing)."""
    return _tracer


def install(provider: trace.TracerProvider | None) -> None:
    """Trace through `provider` from now on; None turns tracing off (tests install an in-memory exporter's)."""
    global _tracer
    _tracer = None if provider is None else provider.get_tracer(INSTRUMENTATION_NAME)


def wanted(environ: Mapping[str, str]) -> bool:
    """Whether the environment asks for traces: any OTEL_* variable, and neither off switch."""
    if environ.get("OTEL_SDK_DISABLED", "").strip().lower() == "true":
        return False
    if environ.get("OTEL_TRACES_EXPORTER", "").strip().lower() == "none":
        return False
    return any(name.startswith("OTEL_") for name in environ)


def configure_from_environment(environ: Mapping[str, str] | None = None) -> bool:
    """Turn tracing on if the environment asks for it (once per process); whether it is on."""
    if _tracer is not None:
        return True
    environ = os.environ if environ is None else environ
    if not wanted(environ):
        return False
    # The SDK only when traces are on: off, its import is init time a Lambda cold start does not need.
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider

    current = trace.get_tracer_provider()
    if isinstance(current, TracerProvider):
        install(current)  # someone (the ADOT layer, opentelemetry-instrument) configured the SDK already
        return True
    defaults = {} if "OTEL_SERVICE_NAME" in environ else {"service.name": DEFAULT_SERVICE_NAME}
    provider = TracerProvider(resource=Resource.create(defaults))
    for processor in _processors(environ):
        provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    install(provider)
    logger.info("tracing on: OpenTelemetry spans exported by %s", environ.get("OTEL_TRACES_EXPORTER") or "otlp")
    return True


def _processors(environ: Mapping[str, str]) -> Iterator[SpanProcessor]:
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    for name in (environ.get("OTEL_TRACES_EXPORTER") or "otlp").split(","):
        exporter = _exporter(name.strip().lower())
        if exporter is not None:
            yield BatchSpanProcessor(exporter)


def _exporter(name: str) -> SpanExporter | None:
    if name == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    if name == "otlp":
        # OTLP over HTTP/protobuf (the SDK's default protocol); it reads OTEL_EXPORTER_OTLP_* itself.
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        return OTLPSpanExporter()
    logger.warning("OTEL_TRACES_EXPORTER=%s is not supported here (otlp, console or none): ignored", name)
    return None


def current_ids() -> tuple[str, str] | None:
    """The current span's trace and span ids (hex, as W3C traceparent writes them), for a log line."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return format(context.trace_id, "032x"), format(context.span_id, "016x")


def _method(operation: str) -> str:
    """botocore's method name as DynamoDB's API names it: batch_get_item -> BatchGetItem."""
    return "".join(part.title() for part in operation.split("_"))


@contextmanager
def dynamodb_span(tracer: Tracer, operation: str, tables: list[str], params: Mapping[str, Any]) -> Iterator[Span]:
    """A client span for one DynamoDB call (its retries included), named as the AWS SDKs name theirs."""
    method = _method(operation)
    attributes: dict[str, Any] = {
        "db.system.name": "aws.dynamodb",
        "rpc.system": "aws-api",
        "rpc.service": "DynamoDB",
        "rpc.method": method,
        "aws.dynamodb.table_names": tables,
    }
    if "IndexName" in params:
        attributes["aws.dynamodb.index_name"] = params["IndexName"]
    with tracer.start_as_current_span(f"DynamoDB.{method}", kind=SpanKind.CLIENT, attributes=attributes) as span:
        yield span


def note_dynamodb_response(span: Span, response: Mapping[str, Any]) -> None:
    """What DynamoDB answered: capacity, retries, items, and what a batch left unprocessed."""
    retries = response.get("ResponseMetadata", {}).get("RetryAttempts")
    if retries is not None:
        span.set_attribute("aws.dynamodb.retries", retries)
    consumed = response.get("ConsumedCapacity")
    if consumed:
        entries = consumed if isinstance(consumed, list) else [consumed]
        units = sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries)
        span.set_attribute("aws.dynamodb.consumed_capacity_units", units)
    if "Count" in response:
        span.set_attribute("aws.dynamodb.count", response["Count"])
    if "UnprocessedKeys" in response:
        keys = sum(len(table.get("Keys", ())) for table in response["UnprocessedKeys"].values())
        span.set_attribute("aws.dynamodb.unprocessed_keys", keys)
    if "UnprocessedItems" in response:
        span.set_attribute("aws.dynamodb.unprocessed_items", sum(map(len, response["UnprocessedItems"].values())))
