"""A real OpenID Connect issuer for the tests: its own RSA and EC keys, a JWKS served over HTTP, tokens on demand.

The service fetches the JWKS from it like from Cognito, so key rotation, an unknown `kid` and an outage
of the endpoint are tested over real HTTP. Tokens look like Cognito access tokens (`client_id`,
`token_use`, `cognito:groups`) unless a test asks otherwise.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa

CLIENT_ID = "test-client"
JWKS_PATH = "/.well-known/jwks.json"


@dataclass
class SigningKey:
    kid: str
    algorithm: str
    private: Any

    @staticmethod
    def rsa(kid: str) -> SigningKey:
        return SigningKey(kid, "RS256", rsa.generate_private_key(public_exponent=65537, key_size=2048))

    @staticmethod
    def ec(kid: str) -> SigningKey:
        return SigningKey(kid, "ES256", ec.generate_private_key(ec.SECP256R1()))

    def public_jwk(self) -> dict[str, Any]:
        algorithm = jwt.get_algorithm_by_name(self.algorithm)
        jwk: dict[str, Any] = json.loads(algorithm.to_jwk(self.private.public_key()))
        return {**jwk, "kid": self.kid, "alg": self.algorithm, "use": "sig"}


@dataclass
class Issuer:
    url: str = ""
    keys: list[SigningKey] = field(default_factory=lambda: [SigningKey.rsa("rsa-1"), SigningKey.ec("ec-1")])
    published: list[SigningKey] = field(default_factory=list)
    fetches: int = 0
    status: int = 200
    """What the JWKS endpoint answers: 200, or an outage status such as 503."""

    def __post_init__(self) -> None:
        self.published = list(self.keys)

    @property
    def jwks_url(self) -> str:
        return self.url + JWKS_PATH

    def jwks(self) -> dict[str, Any]:
        return {"keys": [key.public_jwk() for key in self.published]}

    def token(
        self,
        sub: str,
        groups: tuple[str, ...] = (),
        *,
        key: SigningKey | None = None,
        lifetime: int = 600,
        headers: dict[str, Any] | None = None,
        **claims: Any,
    ) -> str:
        """A Cognito-style access token for `sub`; `claims` override or add (None or "" removes a claim)."""
        key = key or self.keys[0]
        now = int(time.time())
        payload: dict[str, Any] = {
            "iss": self.url,
            "sub": sub,
            "client_id": CLIENT_ID,
            "token_use": "access",
            "scope": "aws.cognito.signin.user.admin",
            "iat": now,
            "auth_time": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
            "username": sub,
        }
        if groups:
            payload["cognito:groups"] = list(groups)
        payload.update(claims)
        payload = {name: value for name, value in payload.items() if value is not None and value != ""}
        return jwt.encode(payload, key.private, algorithm=key.algorithm, headers={"kid": key.kid, **(headers or {})})

    def rotate(self) -> SigningKey:
        """A new signing key, published beside the old ones (as Cognito does when it rotates)."""
        key = SigningKey.rsa(f"rsa-{uuid.uuid4().hex[:8]}")
        self.keys.insert(0, key)
        self.published.append(key)
        return key

    @contextmanager
    def outage(self, status: int = 503) -> Iterator[None]:
        self.status = status
        try:
            yield
        finally:
            self.status = 200


def _handler(issuer: Issuer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            if self.path != JWKS_PATH:
                self.send_error(404)
                return
            issuer.fetches += 1
            if issuer.status != 200:
                self.send_error(issuer.status)
                return
            body = json.dumps(issuer.jwks()).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@contextmanager
def running_issuer() -> Iterator[Issuer]:
    issuer = Issuer()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(issuer))
    issuer.url = f"http://127.0.0.1:{server.server_port}"
    thread = threading.Thread(target=server.serve_forever, name="test-issuer", daemon=True)
    thread.start()
    try:
        yield issuer
    finally:
        server.shutdown()
        server.server_close()


_shared: list[tuple[AbstractContextManager[Issuer], Issuer]] = []
_shared_lock = threading.Lock()


def shared_issuer() -> Issuer:
    """One issuer for the whole test session (started on first use, stopped with the process)."""
    with _shared_lock:
        if not _shared:
            running = running_issuer()  # held, so that it is not collected (which would stop its server)
            _shared.append((running, running.__enter__()))
        return _shared[0][1]


# The callers of the access-rule tests: subjects and groups as the shared issuer signs them.
ADMIN = ("admin-user", ("admin",))
STAFF = ("staff-user", ("staff",))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def admin_headers() -> dict[str, str]:
    issuer = shared_issuer()
    return bearer(issuer.token(ADMIN[0], ADMIN[1]))
