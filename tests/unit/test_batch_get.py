"""BatchGetItem mechanics against an in-process fake (the real servers are in tests/integration)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from graphql_api.dynamo.batch_get import batch_get
from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.errors import Throttled
from graphql_api.repositories.customers import CUSTOMERS
from graphql_api.repositories.products import PRODUCTS


class FakeDynamo:
    """Holds items; answers BatchGetItem, holding back the first `unprocessed` keys of each call."""

    def __init__(self, items: dict[str, list[dict[str, Any]]], unprocessed: int = 0, stingy_calls: int = 0) -> None:
        self.items = items
        self.unprocessed = unprocessed
        self.stingy_calls = stingy_calls
        self.calls: list[dict[str, Any]] = []

    async def __call__(self, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        assert operation == "batch_get_item"
        self.calls.append(params)
        keys = [(name, key) for name, spec in params["RequestItems"].items() for key in spec["Keys"]]
        assert len(keys) <= 100
        held = keys[: self.unprocessed] if len(self.calls) <= self.stingy_calls else []
        responses: dict[str, list[dict[str, Any]]] = {}
        for name, key in keys:
            if (name, key) in held:
                continue
            plain = deserialize_item(key)
            for item in self.items.get(name, []):
                if all(item[k] == v for k, v in plain.items()):
                    responses.setdefault(name, []).append(serialize_item(item))
        unprocessed: dict[str, Any] = {}
        for name, key in held:
            unprocessed.setdefault(name, {"Keys": []})["Keys"].append(key)
        return {"Responses": responses, "UnprocessedKeys": unprocessed}


def _products(count: int) -> list[dict[str, Any]]:
    return [{"ProductId": f"p{n}", "Name": f"n{n}"} for n in range(count)]


def _run(fake: FakeDynamo, keys: list[Any]) -> list[Any]:
    return asyncio.run(batch_get(Dynamo(fake, ""), keys, max_retries=3, base_delay=0.001))


def test_results_come_in_the_order_asked_with_none_for_missing() -> None:
    fake = FakeDynamo({"Products": _products(3)})
    found = _run(fake, [(PRODUCTS.table, ("p2",)), (PRODUCTS.table, ("nope",)), (PRODUCTS.table, ("p0",))])
    assert [item and item["ProductId"] for item in found] == ["p2", None, "p0"]


def test_keys_are_chunked_at_100_and_deduplicated() -> None:
    fake = FakeDynamo({"Products": _products(250)})
    keys = [(PRODUCTS.table, (f"p{n}",)) for n in range(250)] + [(PRODUCTS.table, ("p0",))]
    found = _run(fake, keys)
    assert [len(call["RequestItems"]["Products"]["Keys"]) for call in fake.calls] == [100, 100, 50]
    assert all(item is not None for item in found)


def test_tables_share_one_request() -> None:
    fake = FakeDynamo({"Products": _products(2), "Customers": [{"CustomerId": "c1"}]})
    _run(fake, [(PRODUCTS.table, ("p0",)), (CUSTOMERS.table, ("c1",)), (PRODUCTS.table, ("p1",))])
    assert len(fake.calls) == 1
    assert set(fake.calls[0]["RequestItems"]) == {"Products", "Customers"}


def test_unprocessed_keys_are_retried_until_complete() -> None:
    fake = FakeDynamo({"Products": _products(10)}, unprocessed=4, stingy_calls=2)
    found = _run(fake, [(PRODUCTS.table, (f"p{n}",)) for n in range(10)])
    assert len(fake.calls) == 3
    assert [item["ProductId"] for item in found] == [f"p{n}" for n in range(10)]


def test_never_partial_past_the_retry_budget() -> None:
    fake = FakeDynamo({"Products": _products(10)}, unprocessed=1, stingy_calls=100)
    with pytest.raises(Throttled):
        _run(fake, [(PRODUCTS.table, (f"p{n}",)) for n in range(10)])
    assert len(fake.calls) == 4
