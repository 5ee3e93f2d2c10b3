"""Dual-write (SPEC section 14): every write of the API, in the same transaction, to both layouts.

The app installs `DualWrite` as its DynamoDB client's mirror (graphql_api.dynamo.transactions.install_mirror).
What it makes of a transaction's actions depends on the phase its instance follows (graphql_api.migration.watch):

- design, finalized: the actions as they are (finalized: the reads and writes are the single table's own,
  later work; until then the phase is only recorded).
- dual-write, backfill, verify, reads: each action, then its single-table twin. The old tables decide: a twin
  carries no condition (the original's decides for both, in one transaction). A ConditionCheck has no twin.
- cutover: the twins alone, each carrying its original's condition (the attributes are the same, so is the
  condition), and failing with its original's error. Actions on service tables (not in the layout) are kept.

A twin: Put -> Put of the converted item (an order's line finds its order among the transaction's own puts, or
reads it); Update -> the same update on the converted key, plus `Type` and the GSI key attributes derived from
what it sets or removes; Delete -> Delete of the converted key. An item whose PK/SK need more than its key (an
order: its customer and date) is read first: from its old table (one GetItem), or at cutover from the single
table's key GSI (one Query). That read happens only during the migration, and only for such items.

An Update of an item the single table does not hold yet (the backfill has not reached it) creates a partial
item: the key, `Type`, what the update sets, and `Version` counted from 0 (`#v = #v + :one` becomes
`if_not_exists(#v, 0) + :one`, which would otherwise fail the whole transaction on a missing item). The
stream replication (graphql_api.migration.replication) then writes the old item's NewImage of the same write
over it, and the backfill writes over an item at the same or an older Version: both complete it, and `migrate
verify` proves the parity.

The largest transactions. DynamoDB takes at most 100 actions and 4 MB in one transaction; twins double both.
The API keeps its own limit of 100 actions (the old tables' transaction is unchanged): when the twins do not
fit, as many as fit are sent, in the order of the actions, and the rest are written by the stream replication
from the old tables a moment later (nothing is lost: the old tables decide in these phases, and replication
runs in every dual-write phase). At cutover there is no doubling.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from graphql_api.dynamo.client import Dynamo
from graphql_api.dynamo.observer import unobserved
from graphql_api.dynamo.serialization import Item, deserialize_item, serialize_item
from graphql_api.dynamo.transactions import MAX_ACTIONS, Action
from graphql_api.entity import Entity
from graphql_api.migration.layout import TYPE_ATTRIBUTE, Layout
from graphql_api.migration.watch import MigrationWatch

MAX_TRANSACTION_BYTES = 4_000_000
"""DynamoDB's 4 MB per transaction, counted on the actions' JSON (a little more than DynamoDB counts)."""
_INCREMENT = re.compile(r"(#\w+) = \1 \+ (:\w+)")
_ASSIGNMENT = re.compile(r"^(#\w+) = (:\w+)$")
MISSING = "MISSING#"
"""The PK a cutover twin aims at when its item is gone: nothing is ever stored there."""
_CONDITION_KEYS = ("ConditionExpression", "ExpressionAttributeNames", "ExpressionAttributeValues")


class DualWrite:
    """The mirror of one instance's transactions: the phase's twins of every action on a data table."""

    def __init__(self, dynamo: Dynamo, layout: Layout, watch: MigrationWatch) -> None:
        self._dynamo = dynamo
        self._layout = layout
        self._watch = watch

    async def __call__(self, actions: Sequence[Action]) -> Sequence[Action]:
        # Its reads (the phase when stale, an order's key attributes) are the migration's, not the request's:
        # `extensions.cost` is the same in every phase (the transaction counts its originals only).
        with unobserved():
            return await self._mirrored(actions)

    async def _mirrored(self, actions: Sequence[Action]) -> Sequence[Action]:
        state = await self._watch.fresh()
        if not (state.dual_write or state.single_write):
            return actions
        cutover = state.single_write
        twins = _Twins(self._dynamo, self._layout, actions, cutover)
        if cutover:
            return [await twins.of(action) or action for action in actions]
        sent = list(actions)
        size = sum(_size(action) for action in actions)
        for action in actions:
            twin = await twins.of(action)
            if twin is None:
                continue
            size += _size(twin)
            if len(sent) >= MAX_ACTIONS or size > MAX_TRANSACTION_BYTES:
                break  # the rest come from the stream replication
            sent.append(twin)
        return sent


def _size(action: Action) -> int:
    return len(json.dumps(action.params, default=str))


class _Twins:
    """The twins of one transaction's actions (they may need each other: an order's line, its order)."""

    def __init__(self, dynamo: Dynamo, layout: Layout, actions: Sequence[Action], cutover: bool) -> None:
        self._dynamo = dynamo
        self._layout = layout
        self._cutover = cutover
        self._puts = {
            (action.table.name, _key_of(action.table.key_names, deserialize_item(action.params["Item"]))): action
            for action in actions
            if action.kind == "Put"
        }

    def _entity(self, action: Action) -> Entity[Any] | None:
        placement = self._layout.placements.get(action.table.name)
        return None if placement is None else placement.entity

    async def of(self, action: Action) -> Action | None:
        """The action's twin in the single table; None for a table outside the layout or a ConditionCheck
        while the old tables decide."""
        entity = self._entity(action)
        if entity is None or (action.kind == "ConditionCheck" and not self._cutover):
            return None
        if action.kind == "Put":
            item = deserialize_item(action.params["Item"])
            params: dict[str, Any] = {"Item": serialize_item(await self._converted(entity, item))}
        else:
            key = deserialize_item(action.params["Key"])
            keyed = await self._keyed(entity, action, key)
            if keyed is None:
                return None
            params = keyed
        if self._cutover:
            params = _with_condition(params, action.params)
        return Action(
            action.kind, self._layout.table, params, _twin_failure(self._layout, action), action.applied, action
        )

    async def _converted(self, entity: Entity[Any], item: Item) -> Item:
        needed = self._layout.ancestors_needed(entity)
        parent = None
        if needed is not None:
            parent_entity, via = needed
            parent_key = {parent_entity.table.hash_key.name: item[entity.attribute(via)]}
            parent = await self._item(parent_entity, parent_key)
            if parent is None:
                raise LookupError(f"{entity.table.name}: its {parent_entity.table.name} item {parent_key} is gone")
        return self._layout.to_single(entity, item, parent)

    async def _item(self, entity: Entity[Any], key: Item) -> Item | None:
        """The item by key as the deciding layout holds it: this transaction's own put, else a strongly
        consistent read (the old table, or at cutover the single table)."""
        put = self._puts.get((entity.table.name, _key_of(entity.table.key_names, key)))
        if put is not None:
            return deserialize_item(put.params["Item"])
        if not self._cutover:
            response = await self._dynamo.call(
                "get_item",
                TableName=entity.table.physical_name(self._dynamo.table_prefix),
                Key=serialize_item(key),
                ConsistentRead=True,
            )
            return deserialize_item(response["Item"]) if "Item" in response else None
        return await self._single_item(entity, key)

    async def _single_item(self, entity: Entity[Any], key: Item) -> Item | None:
        table = self._layout.table.physical_name(self._dynamo.table_prefix)
        index = self._layout.key_index(entity, key)
        if index is None:
            single = self._layout.to_single(entity, key)
            response = await self._dynamo.call(
                "get_item",
                TableName=table,
                Key=serialize_item({"PK": single["PK"], "SK": single["SK"]}),
                ConsistentRead=True,
            )
            found = response.get("Item")
        else:  # a GSI: eventually consistent, but it holds the item's key attributes, which never change
            name, pk, sk = index
            response = await self._dynamo.call(
                "query",
                TableName=table,
                IndexName=name,
                KeyConditionExpression=f"{name}PK = :pk AND {name}SK = :sk",
                ExpressionAttributeValues=serialize_item({":pk": pk, ":sk": sk}),
            )
            found = next(iter(response.get("Items", [])), None)
        return None if found is None else self._layout.from_single(deserialize_item(found))[1]

    async def _keyed(self, entity: Entity[Any], action: Action, key: Item) -> dict[str, Any] | None:
        """An Update's, Delete's or ConditionCheck's parameters on the single table's key; None for no twin."""
        located: Item | None = None
        if self._layout.placement(entity).by_key and self._layout.ancestors_needed(entity) is None:
            single = self._layout.to_single(entity, key)
        else:
            located = await self._item(entity, key)
            if located is not None:
                single = await self._converted(entity, located)
            elif not self._cutover:
                return None  # gone from the old table: the original decides alone (its condition, or nothing to do)
            elif action.kind == "Update" and "ConditionExpression" not in action.params:
                raise LookupError(
                    f"{entity.table.name} {key}: not in the single table, and the update has no condition"
                )
            else:  # at cutover the twin decides: on a key that holds nothing, its condition fails as the item's would
                located = {**key}
                single = {"PK": f"{MISSING}{entity.table.name}", "SK": json.dumps(key, default=str, sort_keys=True)}
        params: dict[str, Any] = {"Key": serialize_item({"PK": single["PK"], "SK": single["SK"]})}
        if action.kind == "Update":
            params.update(await self._update(entity, action.params, key, located))
        return params

    async def _update(
        self, entity: Entity[Any], original: Mapping[str, Any], key: Item, located: Item | None
    ) -> dict[str, Any]:
        names: dict[str, str] = dict(original.get("ExpressionAttributeNames", {}))
        values: dict[str, Any] = dict(original.get("ExpressionAttributeValues", {}))
        expression = str(original["UpdateExpression"])
        sets, removes = _clauses(expression)
        assigned: dict[str, Any] = {}
        for assignment in sets:
            match = _ASSIGNMENT.match(assignment)
            if match:
                assigned[names[match.group(1)]] = deserialize_item({"v": values[match.group(2)]})["v"]
        removed = {names[name] for name in removes if name in names}
        twin_sets = [_INCREMENT.sub(r"\1 = if_not_exists(\1, :twin_zero) + \2", part) for part in sets]
        # An update creating its item (a counter's ADD) creates its key attributes too, as the old table's does.
        twin_sets.append("#twin_type = :twin_type")
        names["#twin_type"] = TYPE_ATTRIBUTE
        twin_values: dict[str, Any] = {":twin_type": self._layout.placement(entity).tag, ":twin_zero": 0}
        for number, (attribute, value) in enumerate(key.items()):
            names[f"#twin_k{number}"] = attribute
            twin_values[f":twin_k{number}"] = value
            twin_sets.append(f"#twin_k{number} = :twin_k{number}")
        twin_removes = list(removes)
        for number, attributes in self._layout.gsi_attributes(entity):
            touched = attributes & (set(assigned) | removed)
            if not touched:
                continue
            if located is None and not attributes <= set(assigned) | set(key):
                located = await self._item(entity, key) or {}
            after = {**(located or {}), **key, **assigned}
            for name in removed:
                after.pop(name, None)
            stored = self._layout.to_single(entity, after, await self._parent(entity, after))
            for part in ("PK", "SK"):
                attribute = f"GSI{number}{part}"
                names[f"#twin_{attribute}"] = attribute
                if attribute in stored:
                    twin_sets.append(f"#twin_{attribute} = :twin_{attribute}")
                    twin_values[f":twin_{attribute}"] = stored[attribute]
                else:  # sparse: the item leaves the index
                    twin_removes.append(f"#twin_{attribute}")
        twin_expression = "SET " + ", ".join(twin_sets)
        adds = _section(expression, "ADD")
        if adds:
            twin_expression += " ADD " + adds
        if twin_removes:
            twin_expression += " REMOVE " + ", ".join(twin_removes)
        return {
            "UpdateExpression": twin_expression,
            "ExpressionAttributeNames": {name: names[name] for name in names if _uses(twin_expression, name)},
            "ExpressionAttributeValues": {
                name: value
                for name, value in {**values, **serialize_item(twin_values)}.items()
                if _uses(twin_expression, name)
            },
        }

    async def _parent(self, entity: Entity[Any], item: Item) -> Item | None:
        needed = self._layout.ancestors_needed(entity)
        if needed is None:
            return None
        parent_entity, via = needed
        return await self._item(parent_entity, {parent_entity.table.hash_key.name: item[entity.attribute(via)]})


def _uses(expression: str, placeholder: str) -> bool:
    """Whether `expression` names `placeholder` (`#s1` is not used by `#s10`): DynamoDB refuses unused ones."""
    return re.search(re.escape(placeholder) + r"(?!\w)", expression) is not None


def _key_of(names: Sequence[str], item: Item) -> tuple[Any, ...]:
    return tuple(item.get(name) for name in names)


_SECTION = re.compile(r"\b(SET|REMOVE|ADD|DELETE)\b")


def _section(expression: str, keyword: str) -> str:
    """The text of one clause of an update expression (`SET a = :a, b = :b REMOVE c` -> `a = :a, b = :b`)."""
    parts = _SECTION.split(expression)
    for index in range(1, len(parts) - 1, 2):
        if parts[index] == keyword:
            return parts[index + 1].strip()
    return ""


def _clauses(expression: str) -> tuple[list[str], list[str]]:
    """An update expression's SET assignments (split at top-level commas) and REMOVE names."""
    sets, depth, current = [], 0, ""
    for character in _section(expression, "SET"):
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth == 0:
            sets.append(current.strip())
            current = ""
        else:
            current += character
    if current.strip():
        sets.append(current.strip())
    removes = [name.strip() for name in _section(expression, "REMOVE").split(",") if name.strip()]
    return sets, removes


def _with_condition(params: dict[str, Any], original: Mapping[str, Any]) -> dict[str, Any]:
    """At cutover the twin decides: it carries its original's condition (its names and values merged)."""
    if "ConditionExpression" not in original:
        return params
    merged = dict(params)
    merged["ConditionExpression"] = original["ConditionExpression"]
    for part in _CONDITION_KEYS[1:]:
        if part in original:
            merged[part] = {**original[part], **params.get(part, {})}
    return merged


def _twin_failure(layout: Layout, action: Action) -> Any:
    """The original's error, given the single-table item as it stood (its generic attributes left out)."""
    if isinstance(action.fails_with, Exception):
        return action.fails_with
    original = action.fails_with
    return lambda item: original(layout.from_single(item)[1] if item else None)
