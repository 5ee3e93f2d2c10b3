"""The issuer's keys over real HTTP: rotation, a flood of unknown key ids, and the JWKS endpoint going down."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from graphql_api.app import create_app
from graphql_api.auth.identity import Role
from graphql_api.auth.tokens import InvalidToken, TokenVerifier
from graphql_api.settings import Settings
from tests.issuer import CLIENT_ID, Issuer, SigningKey, bearer, running_issuer
from tests.support import fresh_settings

pytestmark = pytest.mark.one_backend  # the backend does not matter here (tests/conftest.py)


@pytest.fixture
def issuer() -> Iterator[Issuer]:
    with running_issuer() as running:
        yield running


def _settings(issuer: Issuer, refetch_interval: float = 30.0) -> Settings:
    return Settings(
        auth_issuer=issuer.url,
        auth_audience=(CLIENT_ID,),
        cursor_secret="test-secret",
        auth_jwks_refetch_interval=refetch_interval,
        auth_jwks_timeout=1.0,
    )


def _verify_all(verifier: TokenVerifier, tokens: list[str]) -> list[Role | str]:
    """Verify every token concurrently on one event loop: the role, or the refusal's reason."""

    async def one(token: str) -> Role | str:
        try:
            return (await verifier.verify(token)).role
        except InvalidToken as refused:
            return str(refused)

    async def run() -> list[Role | str]:
        try:
            return list(await asyncio.gather(*(one(token) for token in tokens)))
        finally:
            if verifier.keys:
                await verifier.keys.close()

    return asyncio.run(run())


def test_a_rotated_key_is_accepted_after_one_refetch(issuer: Issuer) -> None:
    verifier = TokenVerifier(_settings(issuer, refetch_interval=0.01))

    async def run() -> tuple[Role, int, Role, int]:
        first = (await verifier.verify(issuer.token("u"))).role
        fetched = issuer.fetches
        issuer.rotate()
        await asyncio.sleep(0.02)
        rotated = (await verifier.verify(issuer.token("u", ("staff",)))).role
        assert verifier.keys is not None
        await verifier.keys.close()
        return first, fetched, rotated, issuer.fetches

    first, fetched, rotated, fetches = asyncio.run(run())
    assert (first, fetched) == (Role.CUSTOMER, 1)
    assert (rotated, fetches) == (Role.STAFF, 2)


def test_a_flood_of_unknown_key_ids_causes_one_refetch_at_most(issuer: Issuer) -> None:
    verifier = TokenVerifier(_settings(issuer))
    genuine = issuer.token("u")
    forged = [issuer.token("u", key=SigningKey.ec(f"made-up-{n}")) for n in range(200)]
    results = _verify_all(verifier, [genuine, *forged])
    assert results[0] == Role.CUSTOMER
    assert results[1:] == ["token signed with an unknown key"] * 200
    # One fetch for the genuine token's keys; the 200 unknown kids then share at most one more (rate limit).
    assert issuer.fetches <= 2


def test_cached_keys_keep_working_while_the_jwks_endpoint_is_down(issuer: Issuer) -> None:
    verifier = TokenVerifier(_settings(issuer, refetch_interval=0.01))

    async def run() -> list[Role | str]:
        outcomes: list[Role | str] = [(await verifier.verify(issuer.token("u"))).role]
        with issuer.outage():
            await asyncio.sleep(0.02)
            outcomes.append((await verifier.verify(issuer.token("u", ("admin",)))).role)
            try:
                await verifier.verify(issuer.token("u", key=SigningKey.rsa("new-kid")))
            except InvalidToken as refused:
                outcomes.append(str(refused))
        assert verifier.keys is not None
        await verifier.keys.close()
        return outcomes

    assert asyncio.run(run()) == [Role.CUSTOMER, Role.ADMIN, "token signed with an unknown key"]
    assert issuer.fetches == 2  # the first read, and the unknown kid's attempt during the outage


def test_with_no_cached_key_a_jwks_outage_is_unavailable_not_a_500(endpoint: str, issuer: Issuer) -> None:
    settings = fresh_settings(endpoint, auth_issuer=issuer.url, auth_jwks_refetch_interval=0.2)
    with issuer.outage(), TestClient(create_app(settings)) as client:
        response = client.post("/graphql", json={"query": "{ me { name } }"}, headers=bearer(issuer.token("u")))
    assert response.status_code == 503
    assert response.json()["errors"][0]["extensions"]["code"] == "UNAVAILABLE"
    assert issuer.url not in response.text
    assert response.headers["x-dynamodb-requests"] == "0"
    # Anonymous callers are not affected: no token, nothing to verify.
    with issuer.outage(), TestClient(create_app(settings)) as client:
        anonymous = client.post("/graphql", json={"query": "{ __typename }"})
    assert anonymous.status_code == 200


def test_after_the_outage_the_keys_are_read_again(issuer: Issuer) -> None:
    verifier = TokenVerifier(_settings(issuer, refetch_interval=0.05))

    async def run() -> list[Role | str]:
        outcomes: list[Role | str] = []
        with issuer.outage():
            try:
                await verifier.verify(issuer.token("u"))
            except Exception as error:  # JwksUnavailable: no key at all
                outcomes.append(type(error).__name__)
        await asyncio.sleep(0.1)  # past the rate limit
        outcomes.append((await verifier.verify(issuer.token("u"))).role)
        assert verifier.keys is not None
        await verifier.keys.close()
        return outcomes

    assert asyncio.run(run()) == ["JwksUnavailable", Role.CUSTOMER]
