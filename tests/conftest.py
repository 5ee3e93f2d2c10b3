"""Fixtures that build real state: DynamoDB-compatible servers, tables, data, and the app over HTTP.

Integration tests take the `api` fixture (or `endpoint`) and so run once per backend: moto's server and
Amazon's DynamoDB Local, both started here for the test session.

Which backends run (docs/decisions/ has the reasoning):

- Both, by default: wherever DynamoDB's behaviour is what the test is about (conditions, transactions,
  queries, pagination, batches, streams, faults), the emulators differ and both must agree.
- One, for a test or module marked `@pytest.mark.one_backend`: what it checks is decided before or
  above DynamoDB (HTTP, limits, tokens, logs, metrics, documents, the CLI's wiring), so a second backend
  only doubles its time. It runs on DynamoDB Local (the faster and more faithful of the two) when selected.
- `TEST_BACKENDS=dynamodb-local` (or `moto`) narrows a whole run to one backend: the quick loop's setting.

Only fixtures and hooks live here; the helpers tests import (`Api`, `fresh_settings`, `snapshot`, ...) are in
tests/support/.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.ops.seed import write_dataset
from graphql_api.ops.table_admin import create_tables
from graphql_api.tables import Table
from tests.backends import DYNAMODB_LOCAL_ENDPOINT_VARIABLE, dynamodb_local, moto_server, service_process
from tests.dynamodb_access import RECORD, WORKER_OUTPUT_KEY, AccessRecord, drift_report
from tests.fixtures_data import TestData, build_test_data
from tests.support import ONE_BACKEND, SELECTED_BACKENDS, Api, backend_of, fresh_settings, run_with_dynamo


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "one_backend: the backend does not matter here; run on one (ONE_BACKEND)")
    config.addinivalue_line("markers", "time_to_live: the test's tables get their declared time to live")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        # A DynamoDB Local database per worker: DynamoDB Local (without -sharedDb) keeps one per access key, and
        # locks a database for each write. Sharing one, a worker's PutItem and GetItem took p50 29 ms, p99 315 ms,
        # up to 1.2 s, where a database of their own took p50 7 ms, p99 18 ms at the same moment. Every client of
        # the worker signs with this key: the service's through the credential chain, the subprocesses'
        # through the environment they inherit (tests.support.dynamodb_local_keys for the rest).
        os.environ["AWS_ACCESS_KEY_ID"] = f"local{worker}"  # letters and digits only, as DynamoDB Local 2 wants
        os.environ["AWS_SECRET_ACCESS_KEY"] = "local"
    if _is_xdist_controller(config) and "dynamodb-local" in SELECTED_BACKENDS:
        # One DynamoDB Local for every worker (a JVM, multi-threaded, slow to warm up): the workers inherit
        # its address (tests.backends.dynamodb_local). Each worker keeps a moto of its own: moto answers one
        # request at a time, so a shared one would serialise the workers.
        servers = ExitStack()
        config.add_cleanup(servers.close)
        os.environ[DYNAMODB_LOCAL_ENDPOINT_VARIABLE] = servers.enter_context(dynamodb_local())


def _is_xdist_controller(config: pytest.Config) -> bool:
    return bool(getattr(config.option, "numprocesses", None)) and not hasattr(config, "workerinput")


# --- The IAM record (tests/dynamodb_access.py): merged over workers, compared with the policy at the end ------

_WORKER_RECORDS = AccessRecord(complete=True)


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: Any) -> None:
    """pytest-xdist: a worker ended; add what it recorded."""
    exported = getattr(node, "workeroutput", {}).get(WORKER_OUTPUT_KEY)
    if exported is None or error:
        _WORKER_RECORDS.complete = False
    else:
        _WORKER_RECORDS.merge(exported)


def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if hasattr(config, "workerinput"):
        config.workeroutput[WORKER_OUTPUT_KEY] = RECORD.export()  # type: ignore[attr-defined]
        return
    record = _WORKER_RECORDS if _is_xdist_controller(config) else RECORD
    if not record.complete:  # only when the whole integration tier ran
        return
    report = drift_report(record)
    terminal = config.pluginmanager.get_plugin("terminalreporter")
    if report:
        if terminal is not None:
            terminal.write_sep("=", "the IAM policy and the recorded DynamoDB calls disagree", red=True)
            terminal.write_line(report)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    elif terminal is not None:  # said, so that a run shows the check was made
        used = sum(len(grants) for grants in record.used.values())
        terminal.write_line(f"IAM policy: the {used} grants the integration tests used are exactly the policy's")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect (not skip) the other backend's copy of every `one_backend` test."""
    kept, dropped = [], []
    for item in items:
        if backend_of(item) not in (None, ONE_BACKEND) and item.get_closest_marker("one_backend"):
            dropped.append(item)
        else:
            kept.append(item)
    if dropped:
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


@pytest.fixture(scope="session", autouse=True)
def _tables_without_time_to_live() -> Iterator[Any]:
    """The tests' tables get no time to live, unless a test is marked `time_to_live` (tests/integration/
    test_tables_verify.py). DynamoDB Local's table and index status changes wait behind its time-to-live sweeps,
    which grow with every table that has one: with 40 prefixes of tables, each with CartItems' TTL on, a GSI
    deletion took 55 s instead of 0.5 s, and the suite's tail grew by minutes. The attribute itself (ExpiresAt)
    is written either way; only DynamoDB's deletion of expired items is off, which no other test waits for."""
    original = Table.time_to_live_params
    patches = pytest.MonkeyPatch()
    patches.setattr(Table, "time_to_live_params", lambda self, prefix: None)
    yield original
    patches.undo()


@pytest.fixture(autouse=True)
def _time_to_live_when_marked(request: pytest.FixtureRequest, _tables_without_time_to_live: Any) -> Iterator[None]:
    if request.node.get_closest_marker("time_to_live") is None:
        yield
        return
    with pytest.MonkeyPatch.context() as patches:
        patches.setattr(Table, "time_to_live_params", _tables_without_time_to_live)
        yield


@pytest.fixture(scope="session")
def moto_endpoint() -> Iterator[str]:
    with moto_server() as url:
        yield url


@pytest.fixture(scope="session")
def dynamodb_local_endpoint() -> Iterator[str]:
    with dynamodb_local() as url:
        yield url


@pytest.fixture(scope="session", params=SELECTED_BACKENDS)
def endpoint(request: pytest.FixtureRequest) -> str:
    url: str = request.getfixturevalue(f"{request.param.replace('-', '_')}_endpoint")
    return url


@pytest.fixture(scope="session")
def test_data() -> TestData:
    return build_test_data()


@pytest.fixture(scope="session")
def api(endpoint: str, test_data: TestData) -> Iterator[Api]:
    settings = fresh_settings(endpoint)

    async def prepare(dynamo: Any) -> None:
        await create_tables(dynamo)
        await write_dataset(dynamo, test_data.dataset)

    run_with_dynamo(settings, prepare)
    with TestClient(create_app(settings)) as client:
        yield Api(client=client, settings=settings, data=test_data)


@pytest.fixture(scope="session")
def live_url(api: Api) -> Iterator[str]:
    """The same service on the same tables, but under uvicorn in its own process: for real concurrency."""
    with service_process(api.settings) as url:
        yield url
