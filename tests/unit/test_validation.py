"""Input checks: email addresses by email-validator's syntax rules, with no DNS lookup."""

from __future__ import annotations

import pytest

from graphql_api.errors import BadUserInput
from graphql_api.validation import check_email


@pytest.mark.parametrize(
    "address",
    ["ada@example.com", "Ada.Lovelace+shop@Example.COM", "o'brien@mail.example.ie", "üser@exämple.de", "a@b.co"],
)
def test_valid_addresses_are_kept_as_given(address: str) -> None:
    assert check_email(address) == address


@pytest.mark.parametrize(
    "address",
    [
        "a..b@example.com",
        ".a@example.com",
        "a@-example.com",
        "user@exa_mple.com",
        "",
        "ada.example.com",
        "ada@localhost",
        "ada@example.com ",
        "ad\x00a@example.com",
        "ada\u202emoc.elpmaxe@x.io",
        "ada\uff20example.com",
        "a" * 250 + "@example.com",
    ],
)
def test_invalid_addresses_are_bad_user_input_naming_the_field(address: str) -> None:
    with pytest.raises(BadUserInput) as raised:
        check_email(address, field="input.email")
    assert raised.value.extensions == {"field": "input.email"}
    assert raised.value.message.startswith("input.email: ")


def test_no_dns_lookup_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    from email_validator import deliverability

    def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a deliverability (DNS) check was made")

    monkeypatch.setattr(deliverability, "validate_email_deliverability", refuse)
    assert check_email("someone@no-such-domain.example") == "someone@no-such-domain.example"
