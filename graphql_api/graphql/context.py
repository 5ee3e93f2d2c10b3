"""What every resolver receives in `info.context`: built once per GraphQL request."""

from __future__ import annotations

from dataclasses import dataclass, field

from strawberry.types import Info as StrawberryInfo

from graphql_api.auth.identity import Identity
from graphql_api.dynamo.client import Dynamo
from graphql_api.loaders import Loaders
from graphql_api.settings import Settings


@dataclass
class RequestContext:
    dynamo: Dynamo
    settings: Settings
    identity: Identity
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.loaders = Loaders(self.dynamo, self.settings)


Info = StrawberryInfo[RequestContext, None]
