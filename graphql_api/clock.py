"""Timestamps as stored: ISO-8601 UTC with fixed width, so that string order is time order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"
ONE_TICK = timedelta(microseconds=1)


def now() -> datetime:
    return datetime.now(UTC)


def format_timestamp(moment: datetime) -> str:
    """Naive datetimes are taken as UTC; aware ones are converted to UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime(_FORMAT)


def parse_timestamp(text: str) -> datetime:
    # fromisoformat (C) reads our fixed format, "Z" included, several times faster than strptime.
    return datetime.fromisoformat(text)
