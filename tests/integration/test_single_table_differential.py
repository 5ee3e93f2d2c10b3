"""Every query of the test suite answers byte for byte the same with every read on the single table, both backends.

The differential test of compiled plans reused (tests/integration/test_compiled_plans.py): one app reads the
faux-SQL tables, the other, on the same tables, routes 100% of its reads through the single-table translator to a
copy of the test data in the single table's layout (made here, item by item through Layout.to_single, as the
backfill makes it). Every query document of the suite, with variables from the test data, as an admin, the
canonical customer and anonymously: same status, same body, cursors included; only `extensions.cost`'s figures
(requests, items examined, capacity) are the layouts' own and masked.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.batch_write import put_items
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.metrics import MIGRATION_READS
from graphql_api.migration.layout import Layout
from graphql_api.migration.read_routing import ReadRouter, route_reads
from graphql_api.migration.read_translation import ReadTranslator
from graphql_api.ops.table_admin import create_tables
from graphql_api.request_scope import current_request_id
from graphql_api.services import services_of
from tests.depth import count
from tests.dynamodb_access import RECORD
from tests.fixtures_data import CANONICAL_SUB
from tests.integration.test_compiled_plans import suite_queries, variable_sets
from tests.issuer import admin_headers, bearer, shared_issuer
from tests.support import Api, run_with_dynamo

SETS_PER_CALLER = count("SINGLE_TABLE_DIFF_SETS", quick=1, thorough=1000)
"""Variable sets per query sent as the customer and anonymously (every set as the admin): all with TEST_THOROUGH."""

LAYOUT = Layout(DATA_ENTITIES, "DifferentialReads")
"""A single table of this test's own beside the suite's tables (a backfill's checkpoints would be shared)."""
RECORD.stand_ins.add(LAYOUT.table.name)  # its calls are the single table's in the IAM record


async def _scan(dynamo: Dynamo, table: str) -> list[dict[str, Any]]:
    items, params = [], {"TableName": table, "ConsistentRead": True}
    while True:
        page = await dynamo.call("scan", **params)
        items += [deserialize_item(item) for item in page["Items"]]
        if "LastEvaluatedKey" not in page:
            return items
        params["ExclusiveStartKey"] = page["LastEvaluatedKey"]


async def _copy(dynamo: Dynamo) -> int:
    """The data tables as they stand, written into the single table in its shape."""
    await create_tables(dynamo, tables=(LAYOUT.table,))
    copied = 0
    for placement in LAYOUT.placements.values():
        entity = placement.entity
        items = await _scan(dynamo, entity.table.physical_name(dynamo.table_prefix))
        needed = LAYOUT.ancestors_needed(entity)
        parents: dict[Any, dict[str, Any]] = {}
        if needed is not None:
            parent, via = needed
            key = parent.table.hash_key.name
            parents = {item[key]: item for item in await _scan(dynamo, parent.table.physical_name(dynamo.table_prefix))}
            singles = [LAYOUT.to_single(entity, item, parents[item[entity.attribute(via)]]) for item in items]
        else:
            singles = [LAYOUT.to_single(entity, item) for item in items]
        await put_items(dynamo, LAYOUT.table, singles)
        copied += len(singles)
    return copied


def _masked(text: str) -> str:
    """The answer without the layouts' own cost figures."""
    return re.sub(r'("cost":\{)[^{}]*(\{[^{}]*\}[^{}]*)*\}', r"\1...}", text)


@pytest.fixture(scope="module")
def apps(api: Api) -> Iterator[tuple[TestClient, TestClient]]:
    assert run_with_dynamo(api.settings, _copy) > 0
    settings = api.settings.replace(**{f"rate_limit_{who}": 1_000_000 for who in ("anonymous", "customer", "admin")})
    single_app = create_app(settings)
    with TestClient(create_app(settings)) as faux_sql, TestClient(single_app) as single:
        translator = ReadTranslator(LAYOUT, settings.table_prefix)
        route_reads(services_of(single_app).dynamo, ReadRouter(translator, lambda: {"*": 100}, current_request_id))
        yield faux_sql, single


@pytest.mark.timeout(900)  # every query of the suite, twice: over 300 s on a DynamoDB Local loaded by the suite
def test_every_query_of_the_suite_answers_alike_from_the_single_table(
    apps: tuple[TestClient, TestClient], api: Api
) -> None:
    faux_sql, single = apps
    callers = {
        "admin": admin_headers(),
        "customer": bearer(shared_issuer().token(CANONICAL_SUB)),
        "anonymous": {},
    }
    schema = faux_sql.app.state.schema  # type: ignore[attr-defined]
    compared, with_data = 0, 0
    single_reads = sum(sample.value for sample in _single_samples())
    for query in suite_queries():
        for number, variables in enumerate(variable_sets(schema, query, api)):
            for caller, headers in callers.items():
                if caller != "admin" and number >= SETS_PER_CALLER:
                    continue
                body = {"query": query, "variables": variables}
                sent = {**headers, "X-Request-ID": f"single-{compared}"}
                expected = faux_sql.post("/graphql", json=body, headers=sent)
                answered = single.post("/graphql", json=body, headers=sent)
                assert (answered.status_code, _masked(answered.text)) == (
                    expected.status_code,
                    _masked(expected.text),
                ), (query, variables, caller)
                compared += 1
                with_data += '"data":{' in expected.text and '"errors"' not in expected.text
    assert compared >= 100
    assert with_data >= 150  # answers that read items (the others: missing ids, callers refused)
    moved = sum(sample.value for sample in _single_samples()) - single_reads
    assert moved >= with_data  # and the routed app read them from the single table
    print(f"\n{compared} answers compared, {with_data} with data and no error, {moved:.0f} reads from the single table")


def _single_samples() -> list[Any]:
    return [
        sample
        for metric in MIGRATION_READS.collect()
        for sample in metric.samples
        if sample.name.endswith("_total") and sample.labels.get("layout") == "single-table"
    ]
