"""Reads of the old tables answered from the single table: BatchGetItem and Query rewritten into its key shape.

One seam under every reader (the loaders' BatchGetItem, the listings' and the planner's Queries): a request on an
old table (and index) becomes requests on the single table, and the answer comes back as the old table would
have given it: its items without `PK`/`SK`/`GSI*`/`Type`, under the old table's name, and a LastEvaluatedKey in
the old table's shape, so cursors stay valid across a switch of layout either way.

- BatchGetItem: keys of an entity placed by its own key become one BatchGetItem of the single table (with the
  other tables' keys), and so do an order's lines once the order was read through here (their keys need its
  customer and date, remembered per process: they never change); an order by id, or lines of an order not
  read yet, is one Query of GSI1 per order, which reads the order and all its lines.
- Query: one Query of the item collection (the table's or a GSI's partition, `begins_with` the entity's sort
  prefix). The collection may hold other types (a customer's orders hold their lines): the key condition and
  the FilterExpression are tested here on the old items, the Limit counts the entity's items only, as DynamoDB
  counts them on the old table, and an ExclusiveStartKey becomes a bound of the sort key.

A GSI is eventually consistent: a read of an order by id right after its write may miss it, where the old
table's BatchGetItem reads it (ConsistentRead). What is outside this (a Select, a ProjectionExpression, a table
the layout does not hold) raises Unsupported, and the router leaves it to the old tables.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.migration.expressions import Test, Unsupported, compile_condition, key_attributes
from graphql_api.migration.layout import (
    ROOT,
    SEPARATOR,
    TYPE_ATTRIBUTE,
    KeyShape,
    Layout,
    Placement,
    Shape,
)

Send = Callable[[str, dict[str, Any]], Awaitable[dict[str, Any]]]

HIGHEST = chr(0x10FFFF)
"""Sorts after every character DynamoDB may store: the upper bound of a sort-key prefix."""
READ_AHEAD = 4
"""Items read per item asked where other types share the collection (an order's lines sort among the orders)."""
MAX_PAGE = 1000
PARENTS_KEPT = 100_000
"""Parents' items remembered per process (an order's key, customer and date: about 200 bytes each)."""

KEY_PATTERNS = {"Customers": "AP1", "Orders": "AP4", "OrderItems": "AP5", "Products": "AP6"}
WRITE_PATH = "writes"
"""The reads of the write path (a repository's GetItem before its conditional write): read where writes go, so
from the single table at cutover only (graphql_api.migration.read_routing), never by a read percentage."""
"""The access pattern of a load by key, by table; other tables' loads are named `<table>` alone."""


class ReadTranslator:
    """Rewrites the read requests of one layout (a table prefix) into the single table's."""

    def __init__(self, layout: Layout, table_prefix: str) -> None:
        self.layout = layout
        self.single_name = layout.table.physical_name(table_prefix)
        self._placements = {
            placement.entity.table.physical_name(table_prefix): placement for placement in layout.placements.values()
        }
        self._physical = {placement.entity.table.name: name for name, placement in self._placements.items()}
        self._parents: OrderedDict[tuple[str, Any], Item] = OrderedDict()
        """Parents' items read lately (least recent first), for `_parent_of`."""
        self._placing: dict[str, set[str]] = {}
        """A parent's attributes its children's keys hold (an order's CustomerId and OrderDate)."""
        for child in layout.placements.values():
            for segment in child.home.pk + child.home.sk:
                if segment.owner is not None and segment.attribute:
                    self._placing.setdefault(segment.owner.table.name, set()).add(segment.attribute)
        self._crowded = {placement.parent.table.name for placement in layout.placements.values() if placement.parent}

    # --- which requests, which patterns ----------------------------------------------------------------------------

    def pattern_of(self, operation: str, params: dict[str, Any]) -> str | None:
        """The access pattern a read serves (`AP3`), or None: not a read of a data table."""
        if operation == "query" and params.get("TableName") in self._placements:
            placement = self._placements[params["TableName"]]
            index = params.get("IndexName")
            for listing in placement.entity.listings:
                if (listing.index.name if listing.index else None) == index and listing.pattern:
                    return listing.pattern
            return KEY_PATTERNS.get(placement.entity.table.name) if index is None else None
        if operation == "get_item" and params.get("TableName") in self._placements:
            return WRITE_PATH
        if operation == "batch_get_item":
            tables = [
                self._placements[name].entity.table.name for name in params["RequestItems"] if name in self._placements
            ]
            if tables:
                return "+".join(sorted({KEY_PATTERNS.get(table, table) for table in tables}))
        return None

    async def send(self, send: Send, operation: str, params: dict[str, Any]) -> dict[str, Any]:
        if operation == "query":
            return await self._query(send, params)
        if operation == "batch_get_item":
            return await self._batch_get(send, params)
        if operation == "get_item":
            return await self._get(send, params)
        raise Unsupported(operation)

    async def _get(self, send: Send, params: dict[str, Any]) -> dict[str, Any]:
        """A GetItem as a BatchGetItem of its one key, answered as GetItem answers (keys left unprocessed by a
        throttled batch are asked again: the write path must see the item)."""
        if set(params) - {"TableName", "Key", "ConsistentRead", "ReturnConsumedCapacity"}:
            raise Unsupported("a GetItem with a projection")
        table = params["TableName"]
        request: dict[str, Any] = {"Keys": [params["Key"]], "ConsistentRead": bool(params.get("ConsistentRead"))}
        units: list[Any] = []
        while True:
            answer = await self._batch_get(send, {"RequestItems": {table: request}})
            units.extend(answer["ConsumedCapacity"])
            items = answer["Responses"].get(table, [])
            if items or table not in answer.get("UnprocessedKeys", {}):
                return {"ConsumedCapacity": units, **({"Item": items[0]} if items else {})}

    # --- Query -----------------------------------------------------------------------------------------------------

    async def _query(self, send: Send, params: dict[str, Any]) -> dict[str, Any]:
        if set(params) - {
            "TableName",
            "IndexName",
            "KeyConditionExpression",
            "FilterExpression",
            "ExpressionAttributeNames",
            "ExpressionAttributeValues",
            "ScanIndexForward",
            "Limit",
            "ExclusiveStartKey",
            "ConsistentRead",
            "ReturnConsumedCapacity",
        }:
            raise Unsupported("a Query with a projection or a Select")
        placement = self._placements[params["TableName"]]
        index_name: str | None = params.get("IndexName")
        single_index, pk_name, sk_name, shape = self._served_by(placement, index_name)
        names: dict[str, str] = params.get("ExpressionAttributeNames", {})
        values = deserialize_item(params.get("ExpressionAttributeValues", {}))
        hash_attribute = key_attributes(params["KeyConditionExpression"], names)[0]
        in_key: Test = compile_condition(params["KeyConditionExpression"], names, values)
        kept: Test | None = (
            compile_condition(params["FilterExpression"], names, values) if "FilterExpression" in params else None
        )
        hash_value = next(
            values[token] for token in params["KeyConditionExpression"].split() if token.startswith(":")
        )  # the service writes the hash key's equality first
        forward = params.get("ScanIndexForward", True)
        prefix, exact = _sort_prefix(shape.sk)
        start = deserialize_item(params["ExclusiveStartKey"]) if "ExclusiveStartKey" in params else None
        request_values: dict[str, Any] = {":pk": _render(shape.pk, {hash_attribute: hash_value})}
        condition = "#pk = :pk"
        if exact is not None:
            request_values[":sk"] = exact
            condition += " AND #sk = :sk"
        else:
            low, high = prefix, prefix + HIGHEST
            if start is not None:
                at = _render(shape.sk, start)
                low, high = (at, high) if forward else (low, at)
            if low:
                request_values[":low"], request_values[":high"] = low, high
                condition += " AND #sk BETWEEN :low AND :high"
            elif start is not None:  # a sort key without a literal start (an index's own attribute)
                request_values[":at"] = _render(shape.sk, start)
                condition += " AND #sk >= :at" if forward else " AND #sk <= :at"
        request: dict[str, Any] = {
            "TableName": self.single_name,
            "KeyConditionExpression": condition,
            "ExpressionAttributeNames": {"#pk": pk_name, **({"#sk": sk_name} if "#sk" in condition else {})},
            "ExpressionAttributeValues": serialize_item(request_values),
            "ScanIndexForward": forward,
            "ReturnConsumedCapacity": "TOTAL",
        }
        if single_index is not None:
            request["IndexName"] = single_index
        elif params.get("ConsistentRead"):
            request["ConsistentRead"] = True
        want: int | None = params.get("Limit")
        if want is not None:
            # Children sort among a parent's items in its collection and its key GSI, never in a declared index's.
            shared = placement.entity.table.name in self._crowded and (single_index is None or index_name is None)
            ahead = READ_AHEAD if shared else 1
            request["Limit"] = min(MAX_PAGE, (want + 1) * ahead)  # and the next one, to know whether more follow
        position = placement.entity.table.position_attributes(
            placement.entity.table.index(index_name) if index_name else None
        )
        own_key = placement.entity.table.key_names
        skipping = start is not None
        examined, answered, scanned, units = 0, [], 0, 0.0
        full: dict[str, Any] | None = None
        """The position of the Limit's last item, once reached."""
        more = False
        while True:
            response = await send("query", request)
            scanned += int(response.get("ScannedCount", 0))
            units += _units(response)
            for wire in response.get("Items", []):
                item = deserialize_item(wire)
                if item.get(TYPE_ATTRIBUTE) != placement.tag:
                    continue
                _, old = self.layout.from_single(item)
                if skipping:
                    # Resuming after `start`: the items sorting with it up to and including it were answered.
                    if _render(shape.sk, old) == _render(shape.sk, start or {}):
                        if all(old.get(name) == (start or {}).get(name) for name in own_key):
                            skipping = False
                        continue
                    skipping = False
                if not in_key(old):
                    continue
                if full is not None:
                    more = True
                    break
                examined += 1
                if kept is None or kept(old):
                    answered.append(old)
                if want is not None and examined == want:
                    full = {name: old[name] for name in position if name in old}
            if not more and "LastEvaluatedKey" in response:
                # On to the Limit, then to the next match: a LastEvaluatedKey only when more follow (moto's way;
                # DynamoDB's also at the very end, after which the next page is empty).
                request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
                continue
            break
        self._learn(answered, placement)
        result: dict[str, Any] = {
            "Items": [serialize_item(item) for item in answered],
            "Count": len(answered),
            "ScannedCount": scanned,
            "ConsumedCapacity": {"TableName": self.single_name, "CapacityUnits": units},
        }
        if full is not None and more:
            result["LastEvaluatedKey"] = serialize_item(full)
        return result

    def _served_by(self, placement: Placement, index_name: str | None) -> tuple[str | None, str, str, KeyShape]:
        """The single table's index (None: the table), its key names and the key shape serving a Query."""
        served = index_name or "key"
        home_serves = placement.placed_by == served or (served == "key" and placement.placed_by in ("key", "own"))
        if home_serves and all(segment.owner is None for segment in placement.home.pk):
            return None, "PK", "SK", placement.home
        number = placement.gsi_for(served)
        if number is None:
            raise Unsupported(f"{placement.entity.table.name}: nothing in the single table serves {served}")
        return f"GSI{number}", f"GSI{number}PK", f"GSI{number}SK", placement.gsis[number - 1][0]

    # --- BatchGetItem ----------------------------------------------------------------------------------------------

    async def _batch_get(self, send: Send, params: dict[str, Any]) -> dict[str, Any]:
        passed: dict[str, Any] = {}
        by_key: list[tuple[str, Item]] = []
        """Old table and old key of each item read by its single-table key."""
        by_partition: dict[str, list[tuple[str, Item]]] = {}
        """Keys read by one Query of GSI1 per partition (an order and its lines)."""
        consistent = False
        for table, request in params["RequestItems"].items():
            placement = self._placements.get(table)
            if placement is None:
                passed[table] = request
                continue
            consistent = consistent or bool(request.get("ConsistentRead"))
            for wire in request["Keys"]:
                key = deserialize_item(wire)
                if placement.by_key or self._parent_of(placement, key) is not None:
                    by_key.append((table, key))
                else:
                    partition = _render(self._key_gsi(placement)[1].pk, key)
                    by_partition.setdefault(partition, []).append((table, key))
        found: dict[str, list[Any]] = {}
        unprocessed: dict[str, Any] = {}
        units: list[dict[str, Any]] = []
        tasks = [self._partition(send, partition, keys) for partition, keys in by_partition.items()]
        if by_key or passed:
            tasks.append(self._by_keys(send, by_key, passed, consistent, unprocessed))
        for items, consumed in await asyncio.gather(*tasks):
            for table, item in items:
                found.setdefault(table, []).append(serialize_item(item))
            units.extend(consumed)
        result: dict[str, Any] = {"Responses": found, "ConsumedCapacity": units}
        if unprocessed:
            result["UnprocessedKeys"] = unprocessed
        return result

    def _parent_of(self, placement: Placement, key: Item) -> Item | None:
        """The parent item's attributes that place this child (an order's customer and date), when known."""
        if placement.parent is None or placement.via is None:
            return None
        return self._parents.get((placement.parent.table.name, key.get(placement.entity.attribute(placement.via))))

    def _learn(self, items: list[Item], placement: Placement) -> None:
        """Remember where parents' children live: a later load of an order's lines by key becomes a BatchGetItem
        (their keys need the order's customer and date, which never change) instead of a Query per order."""
        kept = self._placing.get(placement.entity.table.name)
        if not kept:
            return
        key_name = placement.entity.table.hash_key.name
        for item in items:
            key = (placement.entity.table.name, item.get(key_name))
            self._parents[key] = {name: item[name] for name in kept if name in item}
            self._parents.move_to_end(key)
        while len(self._parents) > PARENTS_KEPT:
            self._parents.popitem(last=False)

    def _key_gsi(self, placement: Placement) -> tuple[int, KeyShape]:
        number = placement.gsi_for("key")
        if number is None:
            raise Unsupported(f"{placement.entity.table.name}: no GSI by key")
        return number, placement.gsis[number - 1][0]

    async def _by_keys(
        self,
        send: Send,
        keys: list[tuple[str, Item]],
        passed: dict[str, Any],
        consistent: bool,
        unprocessed: dict[str, Any],
    ) -> tuple[list[tuple[str, Item]], list[dict[str, Any]]]:
        asked: dict[tuple[str, str], tuple[str, Item]] = {}
        for table, key in keys:
            placement = self._placements[table]
            parent = self._parent_of(placement, key)
            home = placement.home
            asked[(_render(home.pk, key, parent), _render(home.sk, key, parent))] = (table, key)
        request = dict(passed)
        if asked:
            request[self.single_name] = {
                "Keys": [serialize_item({"PK": pk, "SK": sk}) for pk, sk in asked],
                "ConsistentRead": consistent,
            }
        response = await send("batch_get_item", {"RequestItems": request, "ReturnConsumedCapacity": "TOTAL"})
        items: list[tuple[str, Item]] = []
        for table, wires in response.get("Responses", {}).items():
            for wire in wires:
                item = deserialize_item(wire)
                if table != self.single_name:
                    items.append((table, item))
                    continue
                entity, old = self.layout.from_single(item)
                items.append((self._physical[entity.table.name], old))
                self._learn([old], self.layout.placement(entity))
        for table, request_left in (response.get("UnprocessedKeys") or {}).items():
            if table != self.single_name:
                unprocessed[table] = request_left
                continue
            for wire in request_left["Keys"]:
                single = deserialize_item(wire)
                old_table, key = asked[(single["PK"], single["SK"])]
                left = unprocessed.setdefault(old_table, {"Keys": [], "ConsistentRead": consistent})
                left["Keys"].append(serialize_item(key))
        consumed = response.get("ConsumedCapacity") or []
        return items, consumed if isinstance(consumed, list) else [consumed]

    async def _partition(
        self, send: Send, partition: str, keys: list[tuple[str, Item]]
    ) -> tuple[list[tuple[str, Item]], list[dict[str, Any]]]:
        """The keys asked of one GSI1 partition (an order and its lines), by one Query (paged)."""
        number, _ = self._key_gsi(self._placements[keys[0][0]])
        request: dict[str, Any] = {
            "TableName": self.single_name,
            "IndexName": f"GSI{number}",
            "KeyConditionExpression": "#pk = :pk",
            "ExpressionAttributeNames": {"#pk": f"GSI{number}PK"},
            "ExpressionAttributeValues": serialize_item({":pk": partition}),
            "ReturnConsumedCapacity": "TOTAL",
        }
        wanted = {(table, _key_of(self._placements[table], key)): table for table, key in keys}
        items: list[tuple[str, Item]] = []
        units = 0.0
        while True:
            response = await send("query", request)
            units += _units(response)
            for wire in response.get("Items", []):
                entity, old = self.layout.from_single(deserialize_item(wire))
                table = self._physical[entity.table.name]
                if (table, _key_of(self._placements[table], old)) in wanted:
                    items.append((table, old))
                    self._learn([old], self._placements[table])
            if "LastEvaluatedKey" not in response:
                break
            request["ExclusiveStartKey"] = response["LastEvaluatedKey"]
        return items, [{"TableName": self.single_name, "CapacityUnits": units}]


def _key_of(placement: Placement, item: Item) -> tuple[Any, ...]:
    return tuple(item.get(name) for name in placement.entity.table.key_names)


def _render(shape: Shape, values: Item, parent: Item | None = None) -> str:
    """A key shape's value from an item's own attributes and its parent's (Unsupported where one is missing)."""
    parts = []
    for segment in shape:
        if segment.literal is not None:
            parts.append(segment.literal)
            continue
        source = values if segment.owner is None else (parent or {})
        value = source.get(segment.attribute or "")
        if value is None:
            raise Unsupported(f"no value for {segment.text()}")
        parts.append(str(value))
    return SEPARATOR.join(parts)


def _sort_prefix(shape: Shape) -> tuple[str, str | None]:
    """The literal start of a sort-key shape (with its separator), and the whole key when it is only literals."""
    literals: list[str] = []
    for segment in shape:
        if segment.literal is None:
            return (SEPARATOR.join(literals) + SEPARATOR if literals else ""), None
        literals.append(segment.literal)
    whole = SEPARATOR.join(literals)
    return whole if whole.startswith(ROOT) else whole + SEPARATOR, whole


def _units(response: dict[str, Any]) -> float:
    consumed = response.get("ConsumedCapacity") or {}
    entries = consumed if isinstance(consumed, list) else [consumed]
    return sum(float(entry.get("CapacityUnits", 0.0)) for entry in entries)
