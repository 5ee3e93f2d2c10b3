"""The Strawberry schema: the roots merged from the entities' modules (graphql_api.graphql.registry), with the limit
and bookkeeping extensions."""

from __future__ import annotations

from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Iterator
from typing import Any

import strawberry
from graphql import GraphQLError
from strawberry.extensions import AddValidationRules, DisableIntrospection, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.types import ExecutionContext, ExecutionResult
from strawberry.types.graphql import OperationType

from graphql_api.dynamo.observer import current_observer
from graphql_api.graphql.access import unruled_fields
from graphql_api.graphql.compiled import Plans
from graphql_api.graphql.cost import unpriced_fields
from graphql_api.graphql.documents import TrustedDocuments, trusted_documents
from graphql_api.graphql.entities._roots import merge
from graphql_api.graphql.errors import log_unexpected, present
from graphql_api.graphql.limits import limit_extensions
from graphql_api.graphql.node import NodeQuery
from graphql_api.graphql.registry import ENTITIES
from graphql_api.request_scope import OperationCost, current_request_id, operation_cost, scope_if_any
from graphql_api.settings import Settings

# Relay's node(id:) reads every node entity, so it is no one entity's root (graphql_api.graphql.node).
Query = merge("Query", (*(roots.query for roots in ENTITIES), NodeQuery))
Mutation = merge("Mutation", (roots.mutation for roots in ENTITIES))
Subscription = merge("Subscription", (roots.subscription for roots in ENTITIES))


class Schema(strawberry.Schema):
    documents: TrustedDocuments
    """The trusted documents (graphql_api.graphql.documents), resolved by the HTTP view."""
    plans: Plans
    """Compiled plans of the documents already run (graphql_api.graphql.compiled)."""

    async def execute(
        self,
        query: str | None,
        variable_values: dict[str, Any] | None = None,
        context_value: Any | None = None,
        root_value: Any | None = None,
        operation_name: str | None = None,
        allowed_operation_types: Iterable[OperationType] | None = None,
        operation_extensions: dict[str, Any] | None = None,
    ) -> ExecutionResult:
        """A known query runs its plan; anything else (and anything a plan cannot answer) the generic path.

        Either way the answer carries `extensions.cost`: what its DynamoDB calls cost (graphql_api.request_scope).
        """
        with operation_cost() as meter:
            plan = self.plans.get(query, operation_name)
            if plan is not None:
                answered = await self.plans.run(
                    plan, variable_values, context_value, root_value, operation_name, self._process_errors
                )
                if answered is not None:
                    return ExecutionResult(data=answered.data, errors=answered.errors, extensions=_costed({}, meter))
            result = await super().execute(
                query,
                variable_values,
                context_value,
                root_value,
                operation_name,
                allowed_operation_types,
                operation_extensions,
            )
            if plan is None:
                self.plans.learn(query, operation_name, result)
            result.extensions = _costed(result.extensions, meter)
            return result

    async def stream(self, *args: Any, **kwargs: Any) -> Any:
        """As Strawberry's (the WebSocket transport's path): each `next` carries the cost of what led to it, since
        the one before (a subscription's event: its resolution)."""
        return _costed_stream(await super().stream(*args, **kwargs))

    def process_errors(self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None) -> None:
        # Expected errors are answers, not incidents: only unexpected ones are logged.
        request_id = current_request_id()
        log_unexpected(errors, request_id)
        # What a client may see, whatever carries it: HTTP and WebSocket both send `error.formatted`.
        present(errors, request_id)


def _costed(extensions: dict[str, Any] | None, meter: OperationCost) -> dict[str, Any]:
    return {**(extensions or {}), "cost": meter.taken()}


async def _costed_stream(results: AsyncIterator[Any]) -> AsyncGenerator[Any, None]:
    meter = OperationCost(current_observer())  # over a WebSocket: none, there is no request scope above it
    try:
        while True:
            with operation_cost(meter):
                try:
                    result = await anext(results)
                except StopAsyncIteration:
                    return
            if isinstance(result, ExecutionResult):
                result.extensions = _costed(result.extensions, meter)
            yield result
    finally:
        closing = getattr(results, "aclose", None)
        if closing is not None:
            await closing()


class RecordOperation(SchemaExtension):
    """Notes each executed operation's name in the request's scope (for the log line and metrics)."""

    def on_operation(self) -> Iterator[None]:
        yield
        scope = scope_if_any()
        if scope is not None:
            scope.graphql_operations.append(self.execution_context.operation_name or "anonymous")


def build_schema(settings: Settings | None = None) -> Schema:
    settings = settings or Settings()
    documents = trusted_documents(settings)
    extensions: list[Callable[[], SchemaExtension]] = [RecordOperation, *limit_extensions(settings)]
    if documents.only_trusted:
        rule = documents.validation_rule()
        extensions.append(lambda: AddValidationRules([rule]))
    if not settings.graphql_introspection:
        extensions.append(DisableIntrospection)
    schema = Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        extensions=extensions,
        config=StrawberryConfig(batching_config={"max_operations": settings.graphql_max_batch_operations}),
    )
    schema.documents = documents
    schema.plans = Plans(schema, settings)
    unpriced = unpriced_fields(schema._schema)
    if unpriced:
        # A relationship without a price would be free to nest under every list (graphql_api.graphql.price).
        raise TypeError(f"fields without a declared price (graphql_api.graphql.price): {', '.join(unpriced)}")
    unruled = unruled_fields(schema._schema)
    if unruled:
        # Deny by default: a field nobody declared a rule for is not served at all.
        raise TypeError(f"fields without an access rule (graphql_api.graphql.access): {', '.join(unruled)}")
    return schema
