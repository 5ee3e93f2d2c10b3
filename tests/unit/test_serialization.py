"""Item (de)serialization: exact numbers, nested maps and lists, no floats."""

from __future__ import annotations

from decimal import Decimal

import pytest

from graphql_api.dynamo.serialization import deserialize_item, serialize_item, serialize_value


def test_values_round_trip() -> None:
    item = {
        "Name": "Kettle",
        "Price": Decimal("19.99"),
        "Stock": 3,
        "Active": True,
        "Addresses": [{"City": "Paris", "Lines": ["a", "b"]}],
    }
    back = deserialize_item(serialize_item(item))
    assert back == {**item, "Stock": Decimal(3)}
    assert isinstance(back["Price"], Decimal)


def test_money_is_stored_exactly() -> None:
    assert serialize_value(Decimal("0.10")) == {"N": "0.10"}
    assert deserialize_item({"Total": {"N": "0.30"}})["Total"] == Decimal("0.1") * 3


def test_none_attributes_are_left_out_of_items() -> None:
    assert serialize_item({"Description": None, "Name": "x"}) == {"Name": {"S": "x"}}


def test_floats_are_refused() -> None:
    with pytest.raises(TypeError, match="Decimal"):
        serialize_value(0.1)


def test_booleans_are_not_numbers() -> None:
    assert serialize_value(True) == {"BOOL": True}
