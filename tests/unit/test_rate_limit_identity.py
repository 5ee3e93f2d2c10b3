"""Who a rate limit charges: a subject, else the client address, read from X-Forwarded-For only behind a trusted proxy."""

from __future__ import annotations

from typing import Any

import pytest

from graphql_api.auth.identity import ANONYMOUS, Identity, Role
from graphql_api.http.rate_limit import client_address, identity_key

PROXIES = ("10.0.0.0/8", "192.0.2.7")


def scope(peer: str, forwarded: str | None = None) -> dict[str, Any]:
    headers = [] if forwarded is None else [(b"x-forwarded-for", forwarded.encode())]
    return {"type": "http", "client": (peer, 51000), "headers": headers}


@pytest.mark.parametrize(
    ("peer", "forwarded", "trusted", "client"),
    [
        ("203.0.113.9", None, PROXIES, "203.0.113.9"),
        # Not from a trusted proxy: whatever the header says, the peer is the client.
        ("203.0.113.9", "198.51.100.1", PROXIES, "203.0.113.9"),
        ("10.1.2.3", "198.51.100.1", (), "10.1.2.3"),
        # From a trusted proxy: the rightmost hop that is not one of ours (a client may prepend anything).
        ("10.1.2.3", "198.51.100.1", PROXIES, "198.51.100.1"),
        ("10.1.2.3", "6.6.6.6, 198.51.100.1, 192.0.2.7", PROXIES, "198.51.100.1"),
        ("10.1.2.3", "10.9.9.9", PROXIES, "10.1.2.3"),
        ("10.1.2.3", "not-an-address", PROXIES, "not-an-address"),
    ],
)
def test_the_client_address(peer: str, forwarded: str | None, trusted: tuple[str, ...], client: str) -> None:
    assert client_address(scope(peer, forwarded), trusted) == client


def test_a_signed_in_caller_is_counted_by_subject_anyone_else_by_address() -> None:
    assert identity_key(Identity.signed_in_as(Role.CUSTOMER, "iss#alice"), "203.0.113.9") == "iss#alice"
    assert identity_key(ANONYMOUS, "203.0.113.9") == "ip:203.0.113.9"
