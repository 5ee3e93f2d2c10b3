"""schema.graphql at the repository root is the SDL the code serves: regenerate it when this fails."""

from __future__ import annotations

from pathlib import Path

from graphql_api.graphql.schema import build_schema

SCHEMA_FILE = Path(__file__).resolve().parent.parent / "schema.graphql"


def test_schema_file_is_up_to_date() -> None:
    expected = build_schema().as_str() + "\n"
    assert SCHEMA_FILE.read_text() == expected, "schema.graphql is stale: run `graphql-api schema > schema.graphql`"


def test_schema_has_the_contract_entry_points() -> None:
    sdl = SCHEMA_FILE.read_text()
    for entry in (
        "me: Customer",
        "customer(customerId: ID!): Customer",
        "customerByEmail(email: String!): Customer",
        "order(orderId: ID!): Order",
        "product(productId: ID!): Product",
        "products(productIds: [ID!]!): [Product]!",
        "scalar Decimal",
        "scalar DateTime",
    ):
        assert entry in sdl
