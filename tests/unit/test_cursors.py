"""The cursor codec: opaque, round-tripping, and rejecting altered or foreign cursors."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from graphql_api.errors import BadUserInput
from graphql_api.graphql.pagination import check_first, decode_cursor, encode_cursor, listing_id

SECRET = "unit-secret"
ATTRIBUTES = ("CustomerId", "OrderDate", "OrderId")
POSITION = {"CustomerId": "cus_1", "OrderDate": "2026-01-01T00:00:00.000000Z", "OrderId": "ord_1"}
LISTING = listing_id("Customer.orders", "cus_1", None, None, None)


def test_a_cursor_round_trips() -> None:
    cursor = encode_cursor(SECRET, LISTING, POSITION)
    assert decode_cursor([SECRET], LISTING, cursor, ATTRIBUTES) == POSITION


def test_a_cursor_does_not_show_its_position_in_plain_text() -> None:
    assert "cus_1" not in encode_cursor(SECRET, LISTING, POSITION)


def test_an_altered_position_is_rejected() -> None:
    cursor = encode_cursor(SECRET, LISTING, POSITION)
    _payload, mac = cursor.split(".")
    forged = dict(POSITION, OrderId="ord_2")
    forged_payload = base64.urlsafe_b64encode(json.dumps(forged).encode()).rstrip(b"=").decode()
    with pytest.raises(BadUserInput, match="after"):
        decode_cursor([SECRET], LISTING, f"{forged_payload}.{mac}", ATTRIBUTES)


@pytest.mark.parametrize("garbage", ["", "abc", "a.b.c", "!!!.???", "eyJ9.AAAA"])
def test_garbage_is_rejected(garbage: str) -> None:
    with pytest.raises(BadUserInput):
        decode_cursor([SECRET], LISTING, garbage, ATTRIBUTES)


def test_a_cursor_of_another_listing_is_rejected() -> None:
    cursor = encode_cursor(SECRET, LISTING, POSITION)
    other = listing_id("Customer.orders", "cus_1", "PAID", None, None)
    with pytest.raises(BadUserInput):
        decode_cursor([SECRET], other, cursor, ATTRIBUTES)


def test_a_cursor_signed_with_another_secret_is_rejected() -> None:
    cursor = encode_cursor("other-secret", LISTING, POSITION)
    with pytest.raises(BadUserInput):
        decode_cursor([SECRET], LISTING, cursor, ATTRIBUTES)


def test_a_cursor_with_other_attributes_is_rejected_even_if_signed() -> None:
    cursor = encode_cursor(SECRET, LISTING, {"ProductId": "prd_1"})
    with pytest.raises(BadUserInput):
        decode_cursor([SECRET], LISTING, cursor, ATTRIBUTES)


def test_one_instant_in_two_time_zones_is_one_listing() -> None:
    moment = datetime(2026, 5, 1, 12, tzinfo=UTC)
    shifted = moment.astimezone(timezone(timedelta(hours=2)))
    assert listing_id("x", moment) == listing_id("x", shifted)


@pytest.mark.parametrize("first", [0, -1, 101, 10_000])
def test_first_out_of_range_is_bad_input(first: int) -> None:
    with pytest.raises(BadUserInput, match="first"):
        check_first(first)


def test_first_defaults_to_twenty_and_accepts_the_bounds() -> None:
    assert check_first(None) == 20
    assert check_first(1) == 1
    assert check_first(100) == 100


def test_a_rotated_secret_still_verifies_cursors_signed_before_the_rotation() -> None:
    old_cursor = encode_cursor("old-secret", LISTING, POSITION)
    assert decode_cursor(["new-secret", "old-secret"], LISTING, old_cursor, ATTRIBUTES) == POSITION
    with pytest.raises(BadUserInput):
        decode_cursor(["new-secret"], LISTING, old_cursor, ATTRIBUTES)  # once the old secret is retired
