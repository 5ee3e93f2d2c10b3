"""Tokens as an attacker would send them: each is refused whole (401, UNAUTHENTICATED) before any DynamoDB request.

The service trusts the tests' issuer (tests/issuer.py); every case below is a token that issuer did not
issue as it stands, or issued for something else. A valid token beside them shows what is accepted.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable

import jwt
import pytest
from cryptography.hazmat.primitives import serialization

from tests.issuer import CLIENT_ID, Issuer, SigningKey, bearer, running_issuer, shared_issuer
from tests.support import Api

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)

ME = "{ me { customerId name email } }"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsigned(issuer: Issuer) -> str:
    claims = jwt.decode(issuer.token("attacker"), options={"verify_signature": False})
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": issuer.keys[0].kid}).encode())
    return f"{header}.{_b64(json.dumps(claims).encode())}."


def _algorithm_confusion(issuer: Issuer) -> str:
    """HS256 with the issuer's published public key as the HMAC secret (the classic confusion attack)."""
    public_pem = (
        issuer.keys[0]
        .private.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    )
    claims = jwt.decode(issuer.token("attacker", ("admin",)), options={"verify_signature": False})
    header = _b64(json.dumps({"alg": "HS256", "typ": "JWT", "kid": issuer.keys[0].kid}).encode())
    payload = _b64(json.dumps(claims).encode())
    signature = hmac.new(public_pem, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{_b64(signature)}"


def _tampered(issuer: Issuer) -> str:
    """A customer's token with `cognito:groups: [admin]` spliced in, keeping the original signature."""
    header, payload, signature = issuer.token("customer-x").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["cognito:groups"] = ["admin"]
    return f"{header}.{_b64(json.dumps(claims).encode())}.{signature}"


def _foreign_key(issuer: Issuer) -> str:
    """Signed by a key the issuer never published, under a kid it does publish."""
    stranger = SigningKey.rsa(issuer.keys[0].kid)
    return issuer.token("attacker", ("admin",), key=stranger)


def _another_pool() -> str:
    """A perfectly valid token of another issuer (another user pool) with its own JWKS."""
    with running_issuer() as other:
        return other.token("attacker", ("admin",))


now = int(time.time())
# name -> (Authorization header values); each must be refused whole.
ATTACKS: dict[str, Callable[[Issuer], list[str]]] = {
    "expired": lambda i: [f"Bearer {i.token('u', exp=now - 3600, iat=now - 7200)}"],
    "nbf in the future": lambda i: [f"Bearer {i.token('u', nbf=now + 3600)}"],
    "wrong iss": lambda i: [f"Bearer {i.token('u', iss='https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_X')}"],
    "wrong client_id": lambda i: [f"Bearer {i.token('u', client_id='another-app')}"],
    "wrong aud (RFC 9068 token)": lambda i: [
        f"Bearer {i.token('u', client_id=None, token_use=None, aud='another-app', headers={'typ': 'at+jwt'})}"
    ],
    "id token instead of access token": lambda i: [
        f"Bearer {i.token('u', client_id=None, aud=CLIENT_ID, token_use='id')}"
    ],
    "no token_use and no at+jwt type": lambda i: [f"Bearer {i.token('u', token_use=None)}"],
    "alg none": lambda i: [f"Bearer {_unsigned(i)}"],
    "HS256 with the public key as secret": lambda i: [f"Bearer {_algorithm_confusion(i)}"],
    "key not in the JWKS, known kid": lambda i: [f"Bearer {_foreign_key(i)}"],
    "unknown kid": lambda i: [f"Bearer {i.token('u', key=SigningKey.ec('kid-nobody-published'))}"],
    "tampered payload, original signature": lambda i: [f"Bearer {_tampered(i)}"],
    "token of another user pool": lambda i: [f"Bearer {_another_pool()}"],
    "garbage": lambda i: ["Bearer not.a.jwt"],
    "empty bearer": lambda i: ["Bearer "],
    "20 KB token": lambda i: [f"Bearer {i.token('u', padding='x' * 20_000)}"],
    "two Authorization headers": lambda i: [f"Bearer {i.token('u')}", f"Bearer {i.token('v')}"],
    "Basic scheme": lambda i: ["Basic YWRhOnBhc3N3b3Jk"],
    "no sub": lambda i: [f"Bearer {i.token('', username='u')}"],
    "no exp": lambda i: [f"Bearer {i.token('u', exp=None)}"],
    "ES256 token under an RS256 key's kid": lambda i: [
        f"Bearer {i.token('u', key=SigningKey('rsa-1', 'ES256', i.keys[1].private))}"
    ],
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_a_bad_token_is_refused_whole_before_any_dynamodb_request(api: Api, attack: str) -> None:
    issuer = shared_issuer()
    values = ATTACKS[attack](issuer)
    headers = [("content-type", "application/json"), *(("authorization", value) for value in values)]
    response = api.client.post("/graphql", content=json.dumps({"query": ME}).encode(), headers=headers)
    assert response.status_code == 401, (attack, response.text)
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    body = response.json()
    assert "data" not in body
    assert [error["extensions"]["code"] for error in body["errors"]] == ["UNAUTHENTICATED"]
    assert response.headers["x-dynamodb-requests"] == "0"


def test_the_same_caller_with_a_valid_token_is_let_in(api: Api) -> None:
    """The control: the issuer's genuine tokens (RS256 and ES256) are accepted."""
    issuer = shared_issuer()
    canonical = api.data.canonical
    rfc9068 = issuer.token("canon-user", client_id=None, token_use=None, aud=CLIENT_ID, headers={"typ": "at+jwt"})
    tokens = [issuer.token("canon-user", key=key) for key in issuer.keys[:2]] + [rfc9068]
    for token in tokens:
        response = api.post(ME, headers=bearer(token))
        assert response.status_code == 200, response.text
        assert response.json()["data"]["me"]["customerId"] == canonical.customer_id


def test_a_public_field_without_a_token_is_anonymous_not_refused(api: Api) -> None:
    response = api.post(ME + " ", headers={})
    assert response.status_code == 200
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert response.headers["x-dynamodb-requests"] == "0"
