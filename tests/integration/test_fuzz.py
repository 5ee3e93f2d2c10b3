"""Fuzzing over HTTP: queries and mutations generated from the live schema (hypothesis-graphql).

Every answer must be a non-5xx JSON response with no stack trace or AWS detail, and every error
must carry a code of SPEC section 5. Valid operations (POSITIVE) and operations with one schema
violation (NEGATIVE) are both sent, on one backend (what is fuzzed is the service's handling, not DynamoDB's).
The seed is fixed; FUZZ_EXAMPLES sets how many per mode: 100 by default, 1,000 with TEST_THOROUGH=1
(tests/depth.py).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC
from typing import Any

import httpx
import pytest
from graphql import GraphQLSchema, build_client_schema, get_introspection_query
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, from_schema, nodes

from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.table_admin import create_tables
from tests.backends import service_process
from tests.depth import count
from tests.issuer import admin_headers
from tests.spec import CODES
from tests.support import fresh_settings, run_with_dynamo

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

EXAMPLES = count("FUZZ_EXAMPLES", quick=100, thorough=1000)
LEAKS = (
    "Traceback",
    "botocore",
    "amazonaws",
    "ClientError",
    "ResourceNotFound",
    "ValidationException",
    'File "',
    "fuzz-",
)

SCALARS = {
    "Decimal": st.one_of(
        st.decimals(min_value=-(10**6), max_value=10**12, places=3, allow_nan=False).map(str),
        st.sampled_from(["NaN", "Infinity", "-0", "1e400", "", "abc"]),
    ).map(nodes.String),
    "DateTime": st.one_of(
        st.datetimes(timezones=st.just(UTC)).map(lambda moment: moment.isoformat()),
        st.sampled_from(["", "yesterday", "2026-13-45T99:99:99Z"]),
    ).map(nodes.String),
}


@pytest.fixture(scope="module")
def fuzz_target(endpoint: str) -> Iterator[tuple[str, GraphQLSchema]]:
    """The service on tables of its own (fuzzed mutations write junk), and its live schema."""
    settings = fresh_settings(endpoint, table_prefix=f"fuzz-{os.getpid()}-")

    async def prepare(dynamo: Any) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, demo_dataset(seed=5, customer_count=5, product_count=20, order_count=20))

    run_with_dynamo(settings, prepare)
    with service_process(settings, "fuzz-service.log") as url:
        introspection = httpx.post(url, json={"query": get_introspection_query()}).json()["data"]
        yield url, build_client_schema(introspection)


def _check(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    for leak in LEAKS:
        assert leak not in response.text, (leak, response.text)
    body = response.json()
    for answer in body if isinstance(body, list) else [body]:
        for error in answer.get("errors") or []:
            assert error.get("extensions", {}).get("code") in CODES, error


@pytest.mark.parametrize("mode", [Mode.POSITIVE, Mode.NEGATIVE], ids=["valid", "invalid"])
def test_generated_operations_never_fail_badly(fuzz_target: tuple[str, GraphQLSchema], mode: Mode) -> None:
    url, schema = fuzz_target
    sent = 0
    with httpx.Client(timeout=30, headers=admin_headers()) as client:

        @seed(20261125)
        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(from_schema(schema, custom_scalars=SCALARS, mode=mode))
        def run(query: str) -> None:
            nonlocal sent
            sent += 1
            _check(client.post(url, json={"query": query}))

        run()
    assert sent >= EXAMPLES
