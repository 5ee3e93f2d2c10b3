"""Identifier shapes: `cus_`, `ord_` and `prd_` followed by 32 lowercase hex digits; order lines `001`..`025`."""

from __future__ import annotations

import re
import uuid
from typing import Literal

Kind = Literal["cus", "ord", "prd"]

_SHAPE = re.compile(r"^(cus|ord|prd)_[0-9a-f]{32}$")


def new_id(kind: Kind) -> str:
    return f"{kind}_{uuid.uuid4().hex}"


def is_id(kind: Kind, value: str) -> bool:
    match = _SHAPE.match(value)
    return match is not None and match.group(1) == kind


def describe(kind: Kind) -> str:
    return f"expected '{kind}_' followed by 32 lowercase hex digits"
