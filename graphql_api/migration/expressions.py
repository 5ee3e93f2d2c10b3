"""DynamoDB condition expressions tested on items in process: the read translator's key conditions and filters.

When a Query on an old table is answered from the single table, its key condition and FilterExpression must hold
on the old items, counted the way DynamoDB counts them (the Limit applies before the filter), which the single
table's own key shape cannot express; so the translator reads the collection and tests them here. The grammar is
what the service writes (graphql_api.planner, graphql_api.entity): comparisons, BETWEEN, IN, begins_with,
contains, attribute_exists, attribute_not_exists, NOT, AND, OR and parentheses, on `#name` and `:value`
placeholders. A missing attribute matches nothing but attribute_not_exists, as in DynamoDB.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from graphql_api.dynamo.serialization import Item

Test = Callable[[Item], bool]

_TOKEN = re.compile(r"\s*(#\w+|:\w+|<>|<=|>=|=|<|>|\(|\)|,|\w+)")
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: bool(a == b),
    "<>": lambda a, b: bool(a != b),
    "<": lambda a, b: bool(a < b),
    "<=": lambda a, b: bool(a <= b),
    ">": lambda a, b: bool(a > b),
    ">=": lambda a, b: bool(a >= b),
}


class Unsupported(ValueError):
    """An expression outside the grammar above: the translator leaves such a request to the old tables."""


def compile_condition(expression: str, names: Mapping[str, str], values: Mapping[str, Any]) -> Test:
    """A test of items for `expression` (values already deserialized)."""
    tokens = _tokens(expression)
    parser = _Parser(tokens, names, values)
    test = parser.disjunction()
    if parser.position != len(tokens):
        raise Unsupported(f"unexpected {tokens[parser.position]!r} in {expression!r}")
    return test


def key_attributes(expression: str, names: Mapping[str, str]) -> list[str]:
    """The attributes a key condition names, in order (the hash key first)."""
    return [names[token] for token in _tokens(expression) if token.startswith("#")]


def _tokens(expression: str) -> list[str]:
    tokens, position = [], 0
    expression = expression.rstrip()
    while position < len(expression):
        match = _TOKEN.match(expression, position)
        if match is None:
            raise Unsupported(f"cannot read {expression[position:]!r}")
        tokens.append(match.group(1))
        position = match.end()
    return tokens


class _Parser:
    def __init__(self, tokens: list[str], names: Mapping[str, str], values: Mapping[str, Any]) -> None:
        self.tokens, self.names, self.values, self.position = tokens, names, values, 0

    def peek(self) -> str | None:
        return self.tokens[self.position] if self.position < len(self.tokens) else None

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None or (expected is not None and token.upper() != expected):
            raise Unsupported(f"expected {expected or 'more'}, found {token!r}")
        self.position += 1
        return token

    def disjunction(self) -> Test:
        return self._joined("OR", self.conjunction, any)

    def conjunction(self) -> Test:
        return self._joined("AND", self.negation, all)

    def _joined(self, word: str, part: Callable[[], Test], combine: Callable[[Iterable[bool]], bool]) -> Test:
        """`part` (WORD `part`)*: one test combining the parts' answers."""
        parts = [part()]
        while (self.peek() or "").upper() == word:
            self.take()
            parts.append(part())
        return parts[0] if len(parts) == 1 else (lambda item: combine(each(item) for each in parts))

    def negation(self) -> Test:
        if (self.peek() or "").upper() == "NOT":
            self.take()
            inner = self.negation()
            return lambda item: not inner(item)
        return self.primary()

    def primary(self) -> Test:
        token = self.take()
        if token == "(":  # noqa: S105 (a parenthesis, not a password)
            inner = self.disjunction()
            self.take(")")
            return inner
        if token.startswith("#"):
            return self.comparison(self.names[token])
        return self.function(token.lower())

    def value(self) -> Any:
        token = self.take()
        if not token.startswith(":"):
            raise Unsupported(f"expected a value, found {token!r}")
        return self.values[token]

    def comparison(self, attribute: str) -> Test:
        operator = self.take().upper()
        if operator in _COMPARE:
            compare, wanted = _COMPARE[operator], self.value()
            return lambda item: _present(item, attribute) and _safe(compare, item[attribute], wanted)
        if operator == "BETWEEN":
            low = self.value()
            self.take("AND")
            high = self.value()
            return lambda item: _present(item, attribute) and _safe(lambda a, _: low <= a <= high, item[attribute], 0)
        if operator == "IN":
            self.take("(")
            choices = [self.value()]
            while self.peek() == ",":
                self.take()
                choices.append(self.value())
            self.take(")")
            return lambda item: _present(item, attribute) and item[attribute] in choices
        raise Unsupported(f"unknown operator {operator!r}")

    def function(self, name: str) -> Test:
        self.take("(")
        attribute = self.names[self.take()]
        if name in ("attribute_exists", "attribute_not_exists"):
            self.take(")")
            exists = name == "attribute_exists"
            return lambda item: _present(item, attribute) == exists
        self.take(",")
        wanted = self.value()
        self.take(")")
        if name == "begins_with":
            return lambda item: isinstance(item.get(attribute), str) and item[attribute].startswith(wanted)
        if name == "contains":
            return lambda item: _present(item, attribute) and _contains(item[attribute], wanted)
        raise Unsupported(f"unknown function {name!r}")


def _present(item: Item, attribute: str) -> bool:
    return item.get(attribute) is not None


def _safe(compare: Callable[[Any, Any], bool], have: Any, wanted: Any) -> bool:
    """DynamoDB compares values of different types as unequal, never as an error."""
    try:
        return compare(have, wanted)
    except TypeError:
        return False


def _contains(have: Any, wanted: Any) -> bool:
    if isinstance(have, str):
        return isinstance(wanted, str) and wanted in have
    return isinstance(have, list | set | frozenset) and wanted in have
