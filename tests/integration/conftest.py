"""Every DynamoDB call the service makes during the integration tests, recorded as IAM grants.

The record covers every app the tests build in this process (`create_app`): each call the app's own
DynamoDB client sends (its `_call`, below the single-table read routing, which swaps a request of the old
tables for the single table's: graphql_api.migration.read_routing; a call refused or failed still counts,
its retries do not) and of its stream readers (the DescribeTable that finds a stream, then DescribeStream,
GetShardIterator and GetRecords, each on the reader's stream). The tests' own clients (fixtures creating
tables, loading data, writing around the service) are not the service's and are not recorded, nor is
anything run in another process (uvicorn under `live_url`, the CLI): test_iam_stream_readers.py runs the
stream readers in this process so that they are seen. At the end of the session tests/conftest.py compares
the record (merged over pytest-xdist's workers) with the IAM policy's data (graphql_api.ops.iam_policy).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from aiobotocore.session import AioSession

import graphql_api.app
import graphql_api.live.service
from graphql_api.dynamo.client import Call, Dynamo, open_dynamo
from graphql_api.live.streams import StreamReader
from graphql_api.ops.iam_policy import grants_of_call, part_of, stream_grant, stream_table
from graphql_api.settings import Settings
from tests.dynamodb_access import RECORD, AccessRecord
from tests.support import ONE_BACKEND, backend_of

INTEGRATION = Path(__file__).resolve().parent


@asynccontextmanager
async def _service_dynamo(settings: Settings) -> AsyncIterator[Dynamo]:
    """graphql_api.app's `open_dynamo`: the same client, its calls recorded (the tests' own clients are not)."""
    RECORD.prefixes.add(settings.table_prefix)
    async with open_dynamo(settings) as dynamo:
        dynamo._call = _recording_call(dynamo._call, settings.table_prefix)
        yield dynamo


def _recording_call(call: Call, table_prefix: str) -> Call:
    """The client's sender, each call noted in its part (the single table's: `migration`) before it is sent."""

    async def recorded(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        for used in grants_of_call(operation, params, table_prefix):
            grant = RECORD.as_declared(used)
            RECORD.note(part_of(grant), [grant])
        return await call(operation, params)

    return recorded


def _stream_reader(call: Any, stream_arn: str, *args: Any, **kwargs: Any) -> StreamReader:
    """graphql_api.live.service's StreamReader: the same reader, its calls noted on its stream."""

    async def recorded(operation: str, **params: Any) -> dict[str, Any]:
        prefix = RECORD.prefix_of(stream_table(stream_arn))
        RECORD.note("subscriptions", [stream_grant(operation, stream_arn, prefix)])
        result: dict[str, Any] = await call(operation, **params)
        return result

    return StreamReader(recorded, stream_arn, *args, **kwargs)


def _note_live_dynamodb_call(params: dict[str, Any], model: Any, **_: Any) -> None:
    """botocore `before-parameter-build.dynamodb` hook on the stream readers' DynamoDB client."""
    prefix = RECORD.prefix_of(params.get("TableName", ""))
    RECORD.note("subscriptions", grants_of_call(model.name, params, prefix))


def _live_session() -> AioSession:
    """graphql_api.live.service's `get_session`: a session whose DynamoDB clients note their calls."""
    session = AioSession()
    session.register("before-parameter-build.dynamodb", _note_live_dynamodb_call)
    return session


@pytest.fixture(scope="session", autouse=True)
def dynamodb_access_record() -> Iterator[AccessRecord]:
    patches = pytest.MonkeyPatch()
    patches.setattr(graphql_api.app, "open_dynamo", _service_dynamo)
    patches.setattr(graphql_api.live.service, "get_session", _live_session)
    patches.setattr(graphql_api.live.service, "StreamReader", _stream_reader)
    try:
        yield RECORD
    finally:
        patches.undo()


@pytest.fixture(autouse=True)
def _current_test(request: pytest.FixtureRequest) -> None:
    RECORD.current_test = request.node.nodeid


# --- Is the record complete? (tests/conftest.py compares it with the policy at the end of the session) ------

_deselected: list[pytest.Item] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    """Deselected integration tests make the record incomplete, but for the other backend's copy of a
    `one_backend` test (tests/conftest.py): its calls are the same as the copy that runs."""
    _deselected.extend(item for item in items if INTEGRATION in item.path.parents and not _other_backend_copy(item))


def _other_backend_copy(item: pytest.Item) -> bool:
    return backend_of(item) not in (None, ONE_BACKEND) and item.get_closest_marker("one_backend") is not None


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    modules = {item.path.name for item in items if INTEGRATION in item.path.parents}
    RECORD.complete = not _deselected and modules >= {path.name for path in INTEGRATION.glob("test_*.py")}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "tests/integration/" in report.nodeid:
        RECORD.failed.append(report.nodeid)
