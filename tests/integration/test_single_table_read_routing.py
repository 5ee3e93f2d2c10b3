"""`migrate reads` and the router on both backends: the phase allows it, a request's reads go where its id's hash
falls, and shadow reads compare the layouts without counting in the request (a difference is counted and logged
with the pattern, never the data)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import serialize_item
from graphql_api.metrics import MIGRATION_READS, MIGRATION_SHADOW_READS
from graphql_api.migration.phase import PHASES, advance, read_state
from graphql_api.migration.read_routing import ReadRouter, bucket, route_reads, set_read_percent
from graphql_api.migration.read_translation import ReadTranslator
from graphql_api.ops.seed import demo_dataset
from graphql_api.ops.single_table import Layout
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.request_scope import request_scope
from tests.support import fresh_settings, run_cli, run_with_dynamo
from tests.support.single_table import backfilled


def test_reads_move_in_the_reads_phase_only(endpoint: str) -> None:
    settings = fresh_settings(endpoint)
    run_with_dynamo(settings, lambda dynamo: create_tables(dynamo))

    early = run_cli(settings, "migrate", "reads", "50")
    assert early.returncode == 1
    assert early.stdout.strip() == "migrate reads: reads move in the reads phase only; the phase is design"

    async def to_reads(dynamo: Dynamo) -> None:
        for phase in PHASES[1 : PHASES.index("reads") + 1]:
            await advance(dynamo, phase)

    run_with_dynamo(settings, to_reads)
    moved = run_cli(settings, "migrate", "reads", "25", "--pattern", "AP3")
    assert moved.returncode == 0, moved.stdout + moved.stderr
    assert moved.stdout.splitlines() == [
        "reads of AP3: 25% recorded; every instance follows within 10 s",
        "  AP3: 25%",
    ]
    shadow = run_cli(settings, "migrate", "reads", "10", "--shadow")
    assert shadow.returncode == 0, shadow.stdout + shadow.stderr
    assert run_cli(settings, "migrate", "reads", "5", "--pattern", "AP99").returncode == 1
    assert run_cli(settings, "migrate", "reads", "101").returncode == 1
    _, reads = run_with_dynamo(settings, read_state)
    assert reads == {"AP3": 25, "shadow:*": 10}


def _value(counter: Any, *labels: str) -> float:
    return float(counter.labels(*labels)._value.get())


def test_requests_read_where_their_id_falls_and_shadows_count_differences(
    endpoint: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = fresh_settings(endpoint)
    shares: dict[str, int] = {"AP1": 50}

    async def run(dynamo: Dynamo) -> None:
        dataset = demo_dataset(seed=3, customer_count=3, product_count=6, order_count=4, review_count=2)
        await backfilled(dynamo, dataset)
        layout = Layout()
        ids = [customer.customer_id for customer in dataset.customers]
        router = ReadRouter(ReadTranslator(layout, dynamo.table_prefix), lambda: shares, _request_id)
        route_reads(dynamo, router)
        table = CUSTOMERS.table.physical_name(dynamo.table_prefix)
        request = {"RequestItems": {table: {"Keys": [serialize_item({"CustomerId": ids[0]})], "ConsistentRead": True}}}

        # Half the requests (by their ids' hash) read the single table; each id always the same layout.
        single_before = _value(MIGRATION_READS, "AP1", "single-table")
        request_ids = [f"req-{number}" for number in range(40)]
        for request_id in request_ids * 2:
            with request_scope(request_id) as scope:
                answer = await dynamo.call("batch_get_item", **request)
                assert answer["Responses"][table][0]["CustomerId"] == {"S": ids[0]}
                assert scope.dynamodb_requests == 1
        expected = 2 * sum(bucket(request_id) < 50 for request_id in request_ids)
        assert 10 < expected < 70
        assert _value(MIGRATION_READS, "AP1", "single-table") - single_before == expected

        # Shadows: the same answer, then a customer renamed in the single table only.
        shares.update({"AP1": 0, "shadow:*": 100})
        same_before = _value(MIGRATION_SHADOW_READS, "AP1", "same")
        with request_scope("shadowed") as scope:
            await dynamo.call("batch_get_item", **request)
            assert scope.dynamodb_requests == 1  # the shadow read is not the request's
        await router.drain()
        assert _value(MIGRATION_SHADOW_READS, "AP1", "same") == same_before + 1
        single_key = layout.to_single(CUSTOMERS, {"CustomerId": ids[0]})
        await dynamo.call(
            "update_item",
            TableName=layout.table.physical_name(dynamo.table_prefix),
            Key=serialize_item({"PK": single_key["PK"], "SK": single_key["SK"]}),
            UpdateExpression="SET #n = :n",
            ExpressionAttributeNames={"#n": "Name"},
            ExpressionAttributeValues=serialize_item({":n": "Renamed secretly"}),
        )
        different_before = _value(MIGRATION_SHADOW_READS, "AP1", "different")
        with caplog.at_level(logging.WARNING, logger="graphql_api.migration.read_routing"):
            with request_scope("shadowed-again"):
                answer = await dynamo.call("batch_get_item", **request)
            deadline = time.monotonic() + 30
            while _value(MIGRATION_SHADOW_READS, "AP1", "different") == different_before:
                assert time.monotonic() < deadline
                await asyncio.sleep(0.05)
        assert answer["Responses"][table][0]["Name"] != {"S": "Renamed secretly"}  # the client's answer: the old
        [logged] = [record.getMessage() for record in caplog.records if "differs" in record.getMessage()]
        assert "AP1" in logged
        assert "shadowed-again" in logged
        assert ids[0] in logged
        assert "Renamed secretly" not in logged

    run_with_dynamo(settings, run)


def _request_id() -> str:
    from graphql_api.request_scope import current_request_id

    return current_request_id()


CUSTOMER_QUERY = "query($c: ID!) { customer(customerId: $c) { name orders(first: 2) { edges { node { orderId } } } } }"


def test_an_instance_moves_its_reads_when_migrate_reads_says_so(endpoint: str) -> None:
    """Through the app as it starts (its watcher, its client): the same answers before and after, the second from
    the single table once the instance has read the percentage."""
    settings = fresh_settings(endpoint, migration_poll_seconds=1.0, auth_mode="none")

    async def prepare(dynamo: Dynamo) -> str:
        dataset = demo_dataset(seed=4, customer_count=2, product_count=6, order_count=4, review_count=2)
        await backfilled(dynamo, dataset)
        for phase in PHASES[1 : PHASES.index("reads") + 1]:
            await advance(dynamo, phase)
        return dataset.orders[0].customer_id

    customer_id = run_with_dynamo(settings, prepare)
    body = {"query": CUSTOMER_QUERY, "variables": {"c": customer_id}}
    with TestClient(create_app(settings)) as client:
        before = client.post("/graphql", json=body)
        assert before.status_code == 200
        assert before.json()["data"]["customer"]["orders"]["edges"]
        moved = _value(MIGRATION_READS, "AP1", "single-table")
        run_with_dynamo(settings, lambda dynamo: set_read_percent(dynamo, "*", 100))
        deadline = time.monotonic() + 60
        while True:
            after = client.post("/graphql", json=body)
            if _value(MIGRATION_READS, "AP1", "single-table") > moved:
                break
            assert time.monotonic() < deadline, "the instance did not follow migrate reads"
            time.sleep(0.1)
        assert after.json()["data"] == before.json()["data"]
        assert _value(MIGRATION_READS, "AP3", "single-table") > 0
