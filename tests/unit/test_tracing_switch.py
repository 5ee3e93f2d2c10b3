"""Tracing is on only when the standard OTEL_* variables ask for it; off, the app carries none of it."""

from __future__ import annotations

import os
from typing import cast

import pytest

from graphql_api import tracing
from graphql_api.app import create_app
from graphql_api.http.tracing import TracingMiddleware
from graphql_api.settings import Settings


@pytest.mark.parametrize(
    ("environ", "on"),
    [
        ({}, False),
        ({"PATH": "/bin", "AWS_REGION": "eu-west-1"}, False),
        ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://collector:4318"}, True),
        ({"OTEL_SERVICE_NAME": "graphql-api"}, True),
        ({"OTEL_SERVICE_NAME": "graphql-api", "OTEL_SDK_DISABLED": "true"}, False),
        ({"OTEL_SERVICE_NAME": "graphql-api", "OTEL_TRACES_EXPORTER": "none"}, False),
    ],
)
def test_tracing_is_wanted_only_when_an_otel_variable_is_set(environ: dict[str, str], on: bool) -> None:
    assert tracing.wanted(environ) is on


def test_off_the_app_has_no_tracing_middleware_and_no_tracer(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [name for name in os.environ if name.startswith("OTEL_")]:
        monkeypatch.delenv(name)
    assert tracing.tracer() is None
    app = create_app(Settings(auth_mode="none"))
    assert tracing.tracer() is None
    assert TracingMiddleware not in [cast(object, middleware.cls) for middleware in app.user_middleware]


def test_dynamodb_method_names_are_the_apis() -> None:
    assert tracing._method("batch_get_item") == "BatchGetItem"
    assert tracing._method("query") == "Query"
