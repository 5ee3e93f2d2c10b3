"""Answers a CDN (or a browser) may keep: ETag, Cache-Control and 304s for GETs of public trusted documents.

A GET naming a trusted document (`documentId`) whose operation reads public data only
(graphql_api.graphql.public_documents), sent without an Authorization header and answered without errors,
carries a strong ETag (a hash of the exact bytes and their media type, so every instance gives the same one)
and PUBLIC_CACHE_CONTROL. Every other GET, and any request with a token, is `private, no-store`; an anonymous POST
keeps `no-store` (graphql_api.http.security_headers): no cache keeps a POST's answer.

If-None-Match is answered 304 in two ways. Without running: when this process remembers the ETag it last sent
for the same request, computed at the catalog generation that is still current (graphql_api.live.catalog_version;
docs/decisions/0008): no DynamoDB request, no rate limiter charge. Else after running, when the bytes hash to
the ETag the client holds: always exact, it saves the transfer only.
"""

from __future__ import annotations

import hashlib
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from graphql_api.auth.identity import Role
from graphql_api.graphql.documents import TrustedDocuments
from graphql_api.graphql.public_documents import PublicDocuments
from graphql_api.graphql.registry import DATA_ENTITIES
from graphql_api.live.catalog_version import CatalogVersion
from graphql_api.request_scope import current_identity, current_scope
from graphql_api.services import Services, services_of
from graphql_api.settings import Settings

PRIVATE = "private, no-store"
WRITES = frozenset({"PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"})
_STARTED = "conditional_get_generation"
_ERRORS = re.compile(rb'"errors"\s*:')  # a key: inside a JSON string the quotes would be escaped


@dataclass(frozen=True)
class _Sent:
    generation: int
    etag: str


class ConditionalGet:
    def __init__(self, settings: Settings, documents: TrustedDocuments, public: PublicDocuments) -> None:
        self.settings = settings
        self.documents = documents
        self.public = public
        self._sent: OrderedDict[tuple[str, str], _Sent] = OrderedDict()
        self._version: tuple[Services, CatalogVersion] | None = None

    def version(self, request: Request) -> CatalogVersion:
        """This app's catalog version, following the streamed tables (none followed on Lambda: no 304 unrun)."""
        services = services_of(request.app)
        if self._version is None or self._version[0] is not services:
            follow = self.settings.public_cache_follow_changes and services.live is not None
            hub = services.live.hub if follow and services.live is not None else None
            streamed = [entity for entity in DATA_ENTITIES if entity.table.stream]
            self._version = (services, CatalogVersion(hub, streamed))
        return self._version[1]

    async def answer(self, request: Request, run: Callable[[Request], Awaitable[Response]]) -> Response:
        """304 without running when the client's ETag is the one sent at the current generation; else `run`."""
        key = self._key(request)
        if key is None:
            return await run(request)
        generation = self.version(request).current
        setattr(request.state, _STARTED, generation)
        sent = self._sent.get(key)
        current = generation is not None and sent is not None and sent.generation == generation
        if current and sent is not None and _matches(request.headers.get("if-none-match"), sent.etag):
            self._sent.move_to_end(key)
            return self._not_modified(sent.etag)
        return await run(request)

    def finish(self, request: Request, response: Response) -> Response:
        """The answer's caching headers; a 304 when its bytes are what the client holds. Writes move the version."""
        if any(operation in WRITES for operation in current_scope().dynamodb_operations):
            self.version(request).changed()  # before the write's answer is sent
        if response.status_code == 304:
            return response
        key = self._key(request)
        if key is None or response.status_code != 200 or not self._is_public(request, response):
            if request.method == "GET" or "authorization" in request.headers:
                response.headers["cache-control"] = PRIVATE
            return response  # an anonymous POST keeps the security headers' `no-store`
        etag = _etag(response)
        generation: int | None = getattr(request.state, _STARTED, None)
        if generation is not None:  # the generation before it ran: a write during the run leaves it stale
            self._remember(key, _Sent(generation, etag))
        if _matches(request.headers.get("if-none-match"), etag):
            return self._not_modified(etag)
        response.headers["etag"] = etag
        response.headers["cache-control"] = self.settings.public_cache_control
        return response

    def _key(self, request: Request) -> tuple[str, str] | None:
        """What the answer's bytes depend on, for an anonymous GET of a trusted document; None otherwise."""
        if request.method != "GET" or "documentId" not in request.query_params or "authorization" in request.headers:
            return None
        if current_identity().role is not Role.ANONYMOUS:
            return None  # AUTH_MODE=none makes every caller an admin: what an admin reads is nobody else's
        media = "graphql-response" if getattr(request.state, "graphql_response", False) else "json"
        return str(request.query_params), media

    def _is_public(self, request: Request, response: Response) -> bool:
        if _ERRORS.search(bytes(response.body)):
            return False  # an error (UNAVAILABLE, a bad variable) is nobody's to keep
        resolved = self.documents.resolve({"documentId": request.query_params["documentId"]})
        return self.public.is_public(resolved["query"], request.query_params.get("operationName"))

    def _remember(self, key: tuple[str, str], sent: _Sent) -> None:
        self._sent[key] = sent
        self._sent.move_to_end(key)
        if len(self._sent) > self.settings.public_cache_entries:
            self._sent.popitem(last=False)

    def _not_modified(self, etag: str) -> Response:
        return Response(status_code=304, headers={"etag": etag, "cache-control": self.settings.public_cache_control})


def _etag(response: Response) -> str:
    digest = hashlib.sha256(
        (response.headers.get("content-type", "") + "\n").encode() + bytes(response.body)
    ).hexdigest()
    return f'"{digest[:32]}"'


def _matches(if_none_match: str | None, etag: str) -> bool:
    """RFC 9110 13.1.2: the weak comparison, over a list of entity tags or `*`."""
    if not if_none_match:
        return False
    tags = [tag.strip().removeprefix("W/") for tag in if_none_match.split(",")]
    return "*" in tags or etag in tags
