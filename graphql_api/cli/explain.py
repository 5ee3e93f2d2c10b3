"""`graphql-api explain '<query>' [--variables JSON]`: the planner's decisions for a document, nothing read."""

from __future__ import annotations

import argparse
import json

from graphql_api.cli.command import Command, argument, fail
from graphql_api.settings import Settings


def explain_query(settings: Settings, args: argparse.Namespace) -> int:
    from graphql_api.graphql.schema import build_schema
    from graphql_api.ops.explain import explain, lines

    try:
        variables = json.loads(args.variables)
        found = explain(build_schema(settings)._schema, args.query, variables, settings.filter_read_budget)
    except (ValueError, TypeError) as error:
        fail(f"explain: {error}")
        return 1
    for line in lines(found):
        print(line)
    return 1 if any(each.plan is None for each in found) else 0


EXPLAIN = Command(
    "explain",
    help="print how each list of a GraphQL document would be read: index, key condition, filter, worst-case reads",
    description="Plans each listing field of the document as the API would (graphql_api.planner) and prints the "
    "index, the key condition, the filter expression and the worst-case reads of one page; exit 1 if a filter "
    "is refused. Reads nothing.",
    run=explain_query,
    arguments=(
        argument("query", help="the GraphQL document"),
        argument("--variables", default="{}", help="its variables, as JSON (default {})"),
    ),
)
