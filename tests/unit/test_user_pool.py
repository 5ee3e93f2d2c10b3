"""Naming a user pool: from a Cognito issuer, from the local default's state file; where its keys are."""

from __future__ import annotations

from pathlib import Path

import pytest

from graphql_api.local.embedded import is_loopback
from graphql_api.local.user_pool import (
    UserPool,
    UserPoolNotConfigured,
    read_local_state,
    remove_local_state,
    write_local_state,
)

ISSUER = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC123xyz"


def test_a_cognito_issuer_names_its_region_and_pool() -> None:
    pool = UserPool.from_issuer(ISSUER, "client-a")
    assert (pool.region, pool.pool_id, pool.client_id, pool.endpoint_url) == (
        "eu-west-1",
        "eu-west-1_AbC123xyz",
        "client-a",
        None,
    )
    assert pool.issuer == ISSUER
    assert pool.jwks_url == ISSUER + "/.well-known/jwks.json"


def test_on_a_compatible_server_the_keys_are_at_that_server() -> None:
    pool = UserPool.from_issuer(ISSUER, "client-a", "http://127.0.0.1:5000")
    assert pool.issuer == ISSUER  # what the tokens say, wherever they are made
    assert pool.jwks_url == "http://127.0.0.1:5000/eu-west-1_AbC123xyz/.well-known/jwks.json"


@pytest.mark.parametrize("issuer", ["https://accounts.example.com", "http://cognito-idp.eu-west-1.amazonaws.com/x_1"])
def test_another_issuer_is_not_a_user_pool(issuer: str) -> None:
    with pytest.raises(UserPoolNotConfigured, match="not a Cognito user pool issuer"):
        UserPool.from_issuer(issuer, "client-a")


def test_the_state_file_round_trips_and_is_removed_only_by_its_writer(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    assert read_local_state(path) is None
    pool = UserPool("us-east-1", "us-east-1_abc", "client", "http://127.0.0.1:5000")
    mine = write_local_state(pool, path)
    assert read_local_state(path) == pool
    write_local_state(UserPool("us-east-1", "us-east-1_def", "client", "http://127.0.0.1:5001"), path)
    remove_local_state(mine, path)  # another local default replaced it: not ours to remove
    assert path.exists()
    path.write_text(mine)
    remove_local_state(mine, path)
    assert not path.exists()
    remove_local_state(mine, path)  # already gone: fine


def test_a_broken_state_file_says_so(tmp_path: Path) -> None:
    path = tmp_path / "state.json"
    path.write_text("{}")
    with pytest.raises(UserPoolNotConfigured, match="delete it"):
        read_local_state(path)


@pytest.mark.parametrize("host", ["127.0.0.1", "localhost", "::1", "[::1]", "127.0.0.2"])
def test_loopback_hosts(host: str) -> None:
    assert is_loopback(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "example.com"])  # noqa: S104 (refused hosts)
def test_hosts_beyond_loopback(host: str) -> None:
    assert not is_loopback(host)
