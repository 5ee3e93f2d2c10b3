"""Money is a Decimal with two places, always.

DynamoDB normalizes numbers (it stores 0.10 as 0.1), so amounts are re-quantized when read:
clients see "0.10", never "0.1", and never a float.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

CENT = Decimal("0.01")


def money(value: Decimal | int | str) -> Decimal:
    return Decimal(value).quantize(CENT)


MONEY = "money"
"""Marks a Decimal field as money (graphql_api.entity re-quantizes it when read): `Annotated[Decimal, MONEY]`."""
Money = Annotated[Decimal, MONEY]
