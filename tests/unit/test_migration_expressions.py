"""The read translator's condition expressions, tested in process as DynamoDB tests them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from graphql_api.migration.expressions import Unsupported, compile_condition, key_attributes

ITEM: dict[str, Any] = {"Name": "Deluxe Notebook", "Price": Decimal("12.50"), "Tags": ["a", "b"], "Status": "PAID"}
NAMES = {"#n": "Name", "#p": "Price", "#t": "Tags", "#s": "Status", "#m": "Missing"}
VALUES: dict[str, Any] = {
    ":name": "Deluxe Notebook",
    ":prefix": "Deluxe",
    ":part": "Note",
    ":low": Decimal(10),
    ":high": Decimal(20),
    ":a": "a",
    ":paid": "PAID",
    ":new": "NEW",
}


@pytest.mark.parametrize(
    ("expression", "holds"),
    [
        ("#n = :name", True),
        ("#n <> :name", False),
        ("#p < :high AND #p >= :low", True),
        ("#p > :high", False),
        ("#p <= :low", False),
        ("#p BETWEEN :low AND :high", True),
        ("#s IN (:new, :paid)", True),
        ("#s IN (:new)", False),
        ("begins_with(#n, :prefix)", True),
        ("begins_with(#p, :prefix)", False),  # not a string: no match, no error
        ("contains(#n, :part)", True),
        ("contains(#t, :a)", True),
        ("attribute_exists(#m)", False),
        ("attribute_not_exists(#m)", True),
        ("#m = :name", False),  # a missing attribute matches nothing
        ("NOT #m = :name", True),
        ("#n < :low", False),  # a string against a number: unequal, never an error
        ("#s = :new OR (#p > :low AND NOT #s = :new)", True),
        ("(#s = :new OR #s = :paid) AND #p > :high", False),
    ],
)
def test_a_condition_holds_as_dynamodb_tests_it(expression: str, holds: bool) -> None:
    assert compile_condition(expression, NAMES, VALUES)(ITEM) is holds


def test_the_key_condition_names_its_hash_key_first() -> None:
    assert key_attributes("#s = :paid AND #p BETWEEN :low AND :high", NAMES) == ["Status", "Price"]


@pytest.mark.parametrize("expression", ["#n = ", "size(#n) > :low", "#n = :name )", "#n LIKE :name"])
def test_what_is_outside_the_grammar_is_refused(expression: str) -> None:
    with pytest.raises(Unsupported):
        compile_condition(expression, NAMES, VALUES)
