"""The app's long-lived objects, made once at start and reached from any request by `services_of(app)`.

The DynamoDB client is opened in the app's lifespan, so that is where `Services` is made and set on
`app.state.services`: one typed object rather than loose attributes on the app.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from graphql_api.dynamo.client import Dynamo

if TYPE_CHECKING:  # graphql_api.http.graphiql reads its page from here
    from graphql_api.http.graphiql import GraphiQLDefaults, GraphiQLPage
    from graphql_api.live.service import LiveUpdates


@dataclass(frozen=True)
class Services:
    dynamo: Dynamo
    graphiql: GraphiQLPage
    """GraphiQL's page and the files it names (graphql_api.http.graphiql), chosen in create_app."""
    graphiql_defaults: Callable[[], Awaitable[GraphiQLDefaults]] | None = None
    """What GraphiQL's editors open on (the local default's query and header), if anything."""
    live: LiveUpdates | None = None
    """Stream readers and subscribers (graphql_api.live), for subscriptions."""


def services_of(app: Starlette) -> Services:
    services = getattr(app.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("the app's services are set in its lifespan, which has not started")
    return services
