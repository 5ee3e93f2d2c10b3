"""The issuer's signing keys (its JWKS): fetched over HTTP, cached, refetched when a token names an unknown key.

Fetches never block the event loop (aiohttp) and are rate-limited: an unknown `kid` causes at most one
fetch per `refetch_interval`, however many tokens name it, and concurrent callers share the fetch in
flight. Cached keys outlive an outage of the JWKS endpoint; only with no key at all is the caller told
that the issuer is unavailable. Keys older than `max_age` are refreshed in the background while the
cached ones keep serving.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import TYPE_CHECKING, Any

import aiohttp

if TYPE_CHECKING:
    import jwt  # imported where keys are read: PyJWT and cryptography are a twentieth of a Lambda cold start

logger = logging.getLogger(__name__)

ALGORITHMS = ("RS256", "ES256")
"""Asymmetric only: a symmetric algorithm would let anyone holding the public key sign tokens."""
_KEY_TYPES = {"RS256": "RSA", "ES256": "EC"}


class UnknownKey(Exception):
    """The token names a key the issuer does not publish (after a refetch, or within the rate limit)."""


class JwksUnavailable(Exception):
    """No key is cached and the JWKS endpoint cannot be read: tokens cannot be checked at all."""


def usable_keys(document: Any) -> dict[str, jwt.PyJWK]:
    """The signing keys of a JWKS document by `kid`, for the algorithms accepted; others are skipped."""
    import jwt

    keys: dict[str, jwt.PyJWK] = {}
    entries = document.get("keys") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise ValueError("a JWKS document is an object with a list of keys")
    for entry in entries:
        if not isinstance(entry, dict) or not isinstance(entry.get("kid"), str) or entry.get("use", "sig") != "sig":
            continue
        algorithm = entry.get("alg") or {"RSA": "RS256", "EC": "ES256"}.get(entry.get("kty", ""))
        if algorithm not in ALGORITHMS or entry.get("kty") != _KEY_TYPES[algorithm]:
            continue
        try:
            keys[entry["kid"]] = jwt.PyJWK({**entry, "alg": algorithm})
        except jwt.PyJWKError:
            logger.warning("JWKS key %s skipped: not a valid %s key", entry["kid"], algorithm)
    return keys


class KeySet:
    def __init__(self, url: str, *, timeout: float, refetch_interval: float, max_age: float = 3600.0) -> None:
        self.url = url
        self.timeout = timeout
        self.refetch_interval = refetch_interval
        self.max_age = max_age
        self.fetches = 0
        """Fetch attempts so far (observability and the rate-limit tests)."""
        self._keys: dict[str, jwt.PyJWK] = {}
        self._fetched_at = float("-inf")
        self._attempted_at = float("-inf")
        self._in_flight: asyncio.Task[None] | None = None
        self._session: aiohttp.ClientSession | None = None

    async def key(self, kid: str) -> jwt.PyJWK:
        key = self._keys.get(kid)
        if key is not None:
            if time.monotonic() - self._fetched_at > self.max_age:
                self._start_fetch()  # refresh in the background; this key keeps serving meanwhile
            return key
        if time.monotonic() - self._attempted_at >= self.refetch_interval or self._in_flight:
            await asyncio.shield(self._start_fetch())
        key = self._keys.get(kid)
        if key is not None:
            return key
        if not self._keys:
            raise JwksUnavailable(f"no signing key could be read from {self.url}")
        raise UnknownKey(kid)

    def prefetch(self) -> None:
        """Read the keys in the background (at start), so that the first request need not wait."""
        self._start_fetch()

    async def close(self) -> None:
        if self._in_flight:
            self._in_flight.cancel()
        if self._session:
            await self._session.close()

    def _start_fetch(self) -> asyncio.Task[None]:
        if self._in_flight is None:
            self._attempted_at = time.monotonic()
            self._in_flight = asyncio.get_running_loop().create_task(self._fetch())
            self._in_flight.add_done_callback(self._fetch_done)
        return self._in_flight

    def _fetch_done(self, task: asyncio.Task[None]) -> None:
        self._in_flight = None

    async def _fetch(self) -> None:
        self.fetches += 1
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=self.timeout))
        try:
            async with self._session.get(self.url, allow_redirects=False) as response:
                response.raise_for_status()
                keys = usable_keys(await response.json(content_type=None))
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # Cached keys (if any) keep working; the next attempt waits for the rate limit.
            logger.warning("JWKS fetch from %s failed: %s", self.url, error or type(error).__name__)
            return
        if not keys:
            logger.warning("JWKS at %s has no RS256/ES256 signing key; keeping the cached ones", self.url)
            return
        self._keys = keys
        self._fetched_at = time.monotonic()
