"""Every DynamoDB call the service makes during the integration tests, recorded as IAM grants.

The record covers every app the tests build in this process (`create_app`): each call of the app's own
DynamoDB client (`Dynamo.call`, before it is sent: a call refused or failed still counts, its retries do
not) and of its stream readers (the DescribeTable that finds a stream, then DescribeStream,
GetShardIterator and GetRecords, each on the reader's stream). The tests' own clients (fixtures creating
tables, loading data, writing around the service) are not the service's and are not recorded, nor is
anything run in another process (uvicorn under `live_url`, the CLI): test_zz_iam_recorded.py runs the
stream readers in this process so that they are seen, and compares the record with the IAM policy's data
(graphql_api.ops.iam_policy) once every other integration test has run.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from weakref import WeakSet

import pytest
from aiobotocore.session import AioSession

import graphql_api.app
import graphql_api.live.service
from graphql_api.dynamo.client import Dynamo, open_dynamo
from graphql_api.live.streams import StreamReader
from graphql_api.ops.iam_policy import Grant, grants_of_call, stream_grant, stream_table
from graphql_api.settings import Settings

INTEGRATION = Path(__file__).resolve().parent
COMPARISON = "test_zz_iam_recorded.py::test_the_policy_grants_exactly_what_the_service_used"


@dataclass
class AccessRecord:
    """The grants the service used, by part (`api`: its DynamoDB client; `subscriptions`: its stream readers)."""

    used: dict[str, dict[Grant, str]] = field(default_factory=lambda: {"api": {}, "subscriptions": {}})
    """Each grant with the first test that used it."""
    prefixes: set[str] = field(default_factory=set)
    """The table prefixes of the apps built so far: how a physical table name becomes a declared one."""
    current_test: str = "?"
    complete: bool = False
    """The session runs every integration module, nothing deselected: only then is the record complete."""
    failed: list[str] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def note(self, part: str, grants: list[Grant]) -> None:
        with self._lock:
            for grant in grants:
                self.used[part].setdefault(grant, self.current_test)

    def prefix_of(self, physical_name: str) -> str:
        """The longest known prefix of a physical table name (the apps' prefixes are random, so distinct)."""
        candidates = [prefix for prefix in self.prefixes if physical_name.startswith(prefix)]
        return max(candidates, key=len, default="")


RECORD = AccessRecord()
SERVICE_CLIENTS: WeakSet[Dynamo] = WeakSet()
"""The DynamoDB clients the apps opened, as opposed to the tests' own."""


@asynccontextmanager
async def _service_dynamo(settings: Settings) -> AsyncIterator[Dynamo]:
    """graphql_api.app's `open_dynamo`: the same client, known as the service's."""
    RECORD.prefixes.add(settings.table_prefix)
    async with open_dynamo(settings) as dynamo:
        SERVICE_CLIENTS.add(dynamo)
        yield dynamo


def _recording_call(call: Any) -> Any:
    async def recorded(self: Dynamo, operation: str, **params: Any) -> dict[str, Any]:
        if self in SERVICE_CLIENTS:
            RECORD.note("api", grants_of_call(operation, params, self.table_prefix))
        result: dict[str, Any] = await call(self, operation, **params)
        return result

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
    patches.setattr(Dynamo, "call", _recording_call(Dynamo.call))
    patches.setattr(graphql_api.live.service, "get_session", _live_session)
    patches.setattr(graphql_api.live.service, "StreamReader", _stream_reader)
    try:
        yield RECORD
    finally:
        patches.undo()


@pytest.fixture(autouse=True)
def _current_test(request: pytest.FixtureRequest) -> None:
    RECORD.current_test = request.node.nodeid


# --- Is the record complete? And the comparison last --------------------------------------------------

_deselected: list[pytest.Item] = []


def pytest_deselected(items: list[pytest.Item]) -> None:
    _deselected.extend(item for item in items if INTEGRATION in item.path.parents)


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Run the comparison after every other integration test (pytest groups tests by backend first)."""
    integration = [item for item in items if INTEGRATION in item.path.parents]
    comparison = [item for item in integration if item.nodeid.endswith(COMPARISON)]
    if not comparison:
        return
    last = items.index(integration[-1])
    items.insert(last + 1, comparison[0])
    items.remove(comparison[0])  # the first occurrence: where it was
    modules = {item.path.name for item in integration}
    RECORD.complete = not _deselected and modules >= {path.name for path in INTEGRATION.glob("test_*.py")}


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.failed and "tests/integration/" in report.nodeid:
        RECORD.failed.append(report.nodeid)
