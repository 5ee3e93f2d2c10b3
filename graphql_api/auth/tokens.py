"""Bearer access tokens: from the `Authorization` header to a verified `Identity` (SPEC section 9).

A token is accepted only when all of these hold: one `Authorization: Bearer <JWT>` header; the JWT is
signed with RS256 or ES256 by a key of the issuer's JWKS (the header's `alg` must match the key's); `iss`
is AUTH_ISSUER; `exp` is in the future and `nbf`/`iat` are not (AUTH_CLOCK_SKEW of leeway); it is an
access token (Cognito's `token_use: access`, or the `at+jwt` type of RFC 9068), so an id token is refused;
its `client_id` (Cognito) or `aud` is one of AUTH_AUDIENCE when that is set; it has a `sub`. Anything else
present in the header is refused whole: the caller gets 401, never a downgrade to anonymous.

A frontend sends the same token with every request until it expires, so verified tokens are remembered
(by their SHA-256, at most `CACHE_SIZE`, each until its `exp` and for no more than `CACHE_SECONDS`): a
repeated token costs a dictionary lookup instead of a signature check (measured in bench/auth_cost.py).
Only successes are remembered; a refused token is checked again every time.

A WebSocket keeps its token for the connection's life, so `credentials` also says until when the token
is accepted (`exp` plus AUTH_CLOCK_SKEW, the instant from which a request bearing it is refused): the
connection is closed then (graphql_api.graphql.connection).
"""

from __future__ import annotations

import hashlib
import time
from collections import OrderedDict
from collections.abc import Iterable
from typing import Any

from graphql_api.auth.identity import ANONYMOUS, OPEN_ACCESS, Identity, Role, subject_of
from graphql_api.auth.jwks import ALGORITHMS, KeySet, UnknownKey
from graphql_api.settings import Settings

MAX_TOKEN_BYTES = 8 * 1024
"""Cognito's access tokens are about 1 KB; anything this large is not one (and is not parsed)."""
_ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")
CACHE_SIZE = 10_000
CACHE_SECONDS = 300.0
"""A verified token is trusted again without a signature check for at most this long (and never past `exp`)."""


class InvalidToken(Exception):
    """A token was presented and is not acceptable; the message (safe to show) says why."""


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.open_access = settings.auth_mode == "none"
        self.keys: KeySet | None = None
        if not self.open_access and settings.jwks_url:
            self.keys = KeySet(
                settings.jwks_url,
                timeout=settings.auth_jwks_timeout,
                refetch_interval=settings.auth_jwks_refetch_interval,
            )
            import jwt  # noqa: F401 (with tokens to check, imported now rather than by the first one)
        self._verified: OrderedDict[bytes, tuple[Identity, float, float]] = OrderedDict()
        """By token digest: its identity, until when it is trusted unchecked, and when it stops being accepted."""

    async def identity(self, authorization: list[str]) -> Identity:
        """The caller's identity from the values of the request's Authorization headers (usually 0 or 1)."""
        identity, _ = await self.credentials(authorization)
        return identity

    async def credentials(self, authorization: list[str]) -> tuple[Identity, float | None]:
        """The caller's identity, and the Unix time from which its token is refused (None without a token)."""
        if self.open_access:
            return OPEN_ACCESS, None
        if not authorization:
            return ANONYMOUS, None
        if len(authorization) > 1:
            raise InvalidToken("more than one Authorization header")
        scheme, _, token = authorization[0].strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            raise InvalidToken("expected 'Authorization: Bearer <token>'")
        return await self.verified(token)

    async def verify(self, token: str) -> Identity:
        identity, _ = await self.verified(token)
        return identity

    async def verified(self, token: str) -> tuple[Identity, float]:
        """The token's identity and the Unix time from which it is refused, or InvalidToken."""
        if len(token) > MAX_TOKEN_BYTES:
            raise InvalidToken("token too large")
        digest = hashlib.sha256(token.encode()).digest()
        remembered = self._verified.get(digest)
        now = time.time()
        if remembered is not None and now < remembered[1]:
            return remembered[0], remembered[2]
        identity, expires = await self._verify_signed(token)
        refused_from = expires + self.settings.auth_clock_skew
        self._verified[digest] = (identity, min(expires, now + CACHE_SECONDS), refused_from)
        if len(self._verified) > CACHE_SIZE:
            self._verified.popitem(last=False)
        return identity, refused_from

    async def _verify_signed(self, token: str) -> tuple[Identity, float]:
        """The identity, and until when the token is valid, after every check of the module docstring."""
        if self.keys is None or self.settings.auth_issuer is None:
            raise InvalidToken("no token issuer is configured")
        import jwt  # not with the module: an open API (AUTH_MODE=none) never checks a token

        try:
            header = jwt.get_unverified_header(token)
        except jwt.InvalidTokenError:
            raise InvalidToken("malformed token") from None
        algorithm, kid = header.get("alg"), header.get("kid")
        if algorithm not in ALGORITHMS:
            raise InvalidToken(f"algorithm {str(algorithm)[:16]!r} is not accepted")
        if not isinstance(kid, str):
            raise InvalidToken("token names no key (kid)")
        try:
            key = await self.keys.key(kid)
        except UnknownKey:
            raise InvalidToken("token signed with an unknown key") from None
        if key.algorithm_name != algorithm:
            raise InvalidToken("token algorithm does not match its key")
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key.key,
                algorithms=[algorithm],
                issuer=self.settings.auth_issuer,
                leeway=self.settings.auth_clock_skew,
                options={"require": ["exp", "iss", "sub"], "verify_aud": False},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("token expired") from None
        except jwt.ImmatureSignatureError:
            raise InvalidToken("token not valid yet") from None
        except jwt.InvalidIssuerError:
            raise InvalidToken("token from another issuer") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("invalid token") from None
        if claims.get("token_use") != "access" and str(header.get("typ", "")).lower() not in _ACCESS_TOKEN_TYPES:
            raise InvalidToken("not an access token")
        if self.settings.auth_audience and not _audience_matches(claims, self.settings.auth_audience):
            raise InvalidToken("token issued for another client")
        if not isinstance(claims["sub"], str) or not claims["sub"]:
            raise InvalidToken("token has no subject")
        identity = Identity.signed_in_as(
            self._role(claims.get(self.settings.auth_groups_claim)), subject_of(claims["iss"], claims["sub"])
        )
        return identity, float(claims["exp"])

    def _role(self, groups: Any) -> Role:
        names = set(groups) if isinstance(groups, list) else set()
        if self.settings.auth_admin_group in names:
            return Role.ADMIN
        if self.settings.auth_staff_group in names:
            return Role.STAFF
        return Role.CUSTOMER


def _audience_matches(claims: dict[str, Any], accepted: Iterable[str]) -> bool:
    audience = claims.get("aud")
    presented = {claims.get("client_id"), *(audience if isinstance(audience, list) else [audience])}
    return not presented.isdisjoint(accepted)
