"""Input checks shared by queries and mutations: each failure is BAD_USER_INPUT naming the field."""

from __future__ import annotations

import re

from graphql_api import ids
from graphql_api.errors import BadUserInput

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


def check_id(kind: ids.Kind, value: str, field: str) -> str:
    if not ids.is_id(kind, value):
        raise BadUserInput(field, f"not a valid id ({ids.describe(kind)})")
    return value


def check_email(value: str, field: str = "email") -> str:
    if len(value) > MAX_EMAIL_LENGTH or not _EMAIL.match(value.strip()):
        raise BadUserInput(field, "not a valid email address")
    return value


def check_text(value: str, field: str, max_length: int = MAX_NAME_LENGTH) -> str:
    if not value.strip():
        raise BadUserInput(field, "must not be empty")
    if len(value) > max_length:
        raise BadUserInput(field, f"must be at most {max_length} characters, got {len(value)}")
    return value
