"""The app's long-lived objects made in its lifespan, reached from any request by `services_of(app)`.

The DynamoDB client is opened in the app's lifespan, so that is where `Services` is made and set on
`app.state.services`: one typed object rather than loose attributes on the app. What is known when the
app is built (GraphiQL's page, the schema) is given to the view and routes then, not kept here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from starlette.applications import Starlette

from graphql_api.dynamo.client import Dynamo

if TYPE_CHECKING:
    from graphql_api.live.service import LiveUpdates
    from graphql_api.migration.watch import MigrationWatch


@dataclass(frozen=True)
class Services:
    dynamo: Dynamo
    live: LiveUpdates | None = None
    """Stream readers and subscribers (graphql_api.live), for subscriptions."""
    migration: MigrationWatch | None = None
    """The single-table migration's phase and read percentages as this instance follows them (`.state`)."""


def services_of(app: Starlette) -> Services:
    services = getattr(app.state, "services", None)
    if not isinstance(services, Services):
        raise RuntimeError("the app's services are set in its lifespan, which has not started")
    return services
