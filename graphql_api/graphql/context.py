"""What every resolver receives in `info.context`: built once per GraphQL request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from strawberry.types import Info as StrawberryInfo

from graphql_api.auth.identity import Identity
from graphql_api.dynamo.client import Dynamo
from graphql_api.loaders import Loaders
from graphql_api.settings import Settings

if TYPE_CHECKING:
    from graphql_api.live.service import LiveUpdates


@dataclass
class RequestContext:
    dynamo: Dynamo
    settings: Settings
    identity: Identity
    live: LiveUpdates | None = None
    """The process's stream readers and subscribers (subscriptions only)."""
    connection_params: dict[str, Any] | None = None
    """A WebSocket's `connection_init` payload (where its token travels)."""
    client_address: str | None = None
    """A WebSocket's peer: anonymous connections are limited per address."""
    connection_owner: str | None = None
    """Whose connection this is (for the per-identity limit), once connection_init was accepted."""
    subscriptions_started: int = 0
    events_sent: int = 0
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.dynamo, self.settings)

    def fresh_loaders(self) -> None:
        """New, empty loaders: a subscription's next event must not see an object cached for an earlier one."""
        self.loaders = Loaders(self.dynamo, self.settings)


Info = StrawberryInfo[RequestContext, None]
