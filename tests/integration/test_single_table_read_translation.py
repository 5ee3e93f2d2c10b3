"""Reads of the old tables answered from the single table give the old tables' answers, on both backends.

A small data set is written to the faux-SQL tables and copied by the backfill; then every listing's Query (every
hash value of the data, both directions, page sizes 1, 2, 5 and none, paged to the end through LastEvaluatedKey,
with a key-range condition and with a FilterExpression) and BatchGetItem of every key of every table are sent to
the old tables and through the translator: the items, their order and every LastEvaluatedKey must be equal.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.serialization import deserialize_item, serialize_item
from graphql_api.entity import Listing
from graphql_api.migration.read_translation import ReadTranslator
from graphql_api.ops.seed import demo_dataset, write_dataset
from graphql_api.ops.single_table import Layout
from graphql_api.ops.single_table_backfill import backfill
from graphql_api.ops.table_admin import create_tables
from graphql_api.repositories.orders import BY_CUSTOMER
from tests.support import fresh_settings, run_with_dynamo

Send = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]


async def _copied(dynamo: Dynamo) -> Layout:
    layout = Layout()
    await create_tables(dynamo)
    await create_tables(dynamo, tables=(layout.table,))
    await write_dataset(dynamo, demo_dataset(seed=7, customer_count=3, product_count=6, order_count=9, review_count=6))
    await backfill(dynamo, layout)
    return layout


async def _scan(dynamo: Dynamo, table: str) -> list[dict[str, Any]]:
    response = await dynamo.call("scan", TableName=table, ConsistentRead=True)
    return [deserialize_item(item) for item in response["Items"]]


async def _pages(send: Send, params: dict[str, Any]) -> list[tuple[list[Any], Any]]:
    """Every page of a Query: its items and its LastEvaluatedKey, resuming from it until there is none."""
    pages: list[tuple[list[Any], Any]] = []
    request = dict(params)
    while len(pages) < 100:
        response = await send("query", dict(request))
        last = response.get("LastEvaluatedKey")
        pages.append(([deserialize_item(item) for item in response.get("Items", [])], last and deserialize_item(last)))
        if last is None:
            break
        request["ExclusiveStartKey"] = last
    # DynamoDB Local says there may be more when the Limit is reached at the end (moto does not), and may then
    # answer empty pages to the end: those are the same end.
    while len(pages) > 1 and not pages[-1][0]:
        pages[-2:] = [(pages[-2][0], None)]
    return pages


def _both(dynamo: Dynamo, layout: Layout) -> tuple[Send, Send]:
    """Reads of the old tables as they are, and through the translator."""
    translator = ReadTranslator(layout, dynamo.table_prefix)

    async def old(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return await dynamo.call(operation, **params)

    async def single(operation: str, params: dict[str, Any]) -> dict[str, Any]:
        return await translator.send(old, operation, params)

    return old, single


def _queries(listing: Listing[Any], prefix: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    keys = listing.keys
    names = {"#h": keys[0].name}
    base = {
        "TableName": listing.entity.table.physical_name(prefix),
        "KeyConditionExpression": "#h = :h",
        "ExpressionAttributeNames": names,
        **({"IndexName": listing.index.name} if listing.index else {}),
    }
    found = []
    for hash_value in sorted({item[keys[0].name] for item in items if keys[0].name in item}, key=str):
        for forward in (True, False):
            for limit in (1, 2, 5, None):
                params = {
                    **base,
                    "ExpressionAttributeValues": serialize_item({":h": hash_value}),
                    "ScanIndexForward": forward,
                    **({"Limit": limit} if limit else {}),
                }
                found.append(params)
    return found


def test_every_listing_and_every_key_reads_alike_through_the_single_table(endpoint: str) -> None:
    settings = fresh_settings(endpoint)

    async def compare(dynamo: Dynamo) -> tuple[int, int]:
        layout = await _copied(dynamo)
        old, single = _both(dynamo, layout)

        queries, pages = 0, 0
        for placement in layout.placements.values():
            entity = placement.entity
            items = await _scan(dynamo, entity.table.physical_name(dynamo.table_prefix))
            for listing in entity.listings:
                for params in _queries(listing, dynamo.table_prefix, items):
                    expected = await _pages(old, params)
                    assert await _pages(single, params) == expected, params
                    queries += 1
                    pages += len(expected)
            # Every key of the table, and one missing, in one BatchGetItem.
            keys = [{name: item[name] for name in entity.table.key_names} for item in items]
            keys.append({name: f"missing-{name}" for name in entity.table.key_names})
            request = {
                "RequestItems": {
                    entity.table.physical_name(dynamo.table_prefix): {
                        "Keys": [serialize_item(key) for key in keys[:100]],
                        "ConsistentRead": True,
                    }
                }
            }

            def answered(response: dict[str, Any]) -> list[str]:
                return sorted(
                    repr(sorted(deserialize_item(i).items())) for r in response["Responses"].values() for i in r
                )

            expected_items = answered(await old("batch_get_item", request))
            assert answered(await single("batch_get_item", request)) == expected_items
            # A translator that has read no order yet finds an order's lines by a Query per order, not by key.
            fresh = ReadTranslator(layout, dynamo.table_prefix)
            assert answered(await fresh.send(old, "batch_get_item", request)) == expected_items
        return queries, pages

    queries, pages = run_with_dynamo(settings, compare)
    assert queries >= 200
    assert pages > queries  # the small pages were paged through


def test_a_key_range_and_a_filter_read_alike(endpoint: str) -> None:
    """A customer's orders within a date range, and with a status filter: the Limit counts what the old table
    examines (orders, never their lines), the filter drops after it, the LastEvaluatedKey is an order's."""
    settings = fresh_settings(endpoint)

    async def compare(dynamo: Dynamo) -> int:
        layout = await _copied(dynamo)
        old, single = _both(dynamo, layout)

        orders = await _scan(dynamo, BY_CUSTOMER.entity.table.physical_name(dynamo.table_prefix))
        dates = sorted(order["OrderDate"] for order in orders)
        compared = 0
        for params in _queries(BY_CUSTOMER, dynamo.table_prefix, orders):
            ranged = {
                **params,
                "KeyConditionExpression": "#h = :h AND #r BETWEEN :a AND :b",
                "ExpressionAttributeNames": {"#h": "CustomerId", "#r": "OrderDate"},
                "ExpressionAttributeValues": {
                    **params["ExpressionAttributeValues"],
                    **serialize_item({":a": dates[2], ":b": dates[-3]}),
                },
            }
            filtered = {
                **params,
                "FilterExpression": "#s IN (:s0, :s1) OR NOT attribute_exists(#s)",
                "ExpressionAttributeNames": {"#h": "CustomerId", "#s": "Status"},
                "ExpressionAttributeValues": {
                    **params["ExpressionAttributeValues"],
                    **serialize_item({":s0": "PENDING", ":s1": "SHIPPED"}),
                },
            }
            for each in (ranged, filtered):
                assert await _pages(single, each) == await _pages(old, each), each
                compared += 1
        return compared

    assert run_with_dynamo(settings, compare) >= 12
