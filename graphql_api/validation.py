"""Input checks shared by queries and mutations: each failure is BAD_USER_INPUT naming the field.

Checks run before anything is read or written, so bad input never costs a DynamoDB request.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from decimal import Decimal

from graphql_api.errors import BadUserInput
from graphql_api.money import money
from graphql_api.repositories.products import PRODUCTS

MAX_EMAIL_LENGTH = 254
MAX_NAME_LENGTH = 200
MAX_DESCRIPTION_LENGTH = 2000
MAX_CATEGORY_LENGTH = 100
MAX_PRICE = Decimal("1000000000")
MAX_STOCK = 1_000_000_000
_IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9_.:-]{1,64}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")

# Active ISO 4217 currency codes.
CURRENCIES = frozenset(
    """AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
    BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL GHS
    GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW
    KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD
    NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD UYU UZS VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG""".split()  # noqa: SIM905 - a word list reads better than 160 lines
)


MAX_PRODUCT_IDS = 100
"""products(productIds) and productChanged(productIds): the most ids one field may ask for."""


def check_product_ids(product_ids: Sequence[str], field: str = "productIds") -> list[str]:
    if len(product_ids) > MAX_PRODUCT_IDS:
        raise BadUserInput(field, f"at most {MAX_PRODUCT_IDS} ids, got {len(product_ids)}")
    return [PRODUCTS.check_id(product_id, field) for product_id in product_ids]


def check_email(value: str, field: str = "email") -> str:
    """The address as given, if its syntax is valid (RFC 5321/5322 as email-validator reads them; no DNS lookup)."""
    if len(value) > MAX_EMAIL_LENGTH:
        raise BadUserInput(field, f"must be at most {MAX_EMAIL_LENGTH} characters, got {len(value)}")
    # Imported on the first email checked: no read needs it, and it is part of a Lambda cold start.
    from email_validator import EmailNotValidError, validate_email

    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError as error:
        raise BadUserInput(field, f"not a valid email address ({error})") from None
    return value


def _has_control_characters(value: str) -> bool:
    return any(unicodedata.category(char) in ("Cc", "Cf", "Cs", "Co", "Cn") for char in value)


def check_text(value: str, field: str, max_length: int = MAX_NAME_LENGTH, *, multiline: bool = False) -> str:
    """Non-blank, at most `max_length` characters, no control characters (newlines if `multiline`)."""
    if not value.strip():
        raise BadUserInput(field, "must not be empty")
    if len(value) > max_length:
        raise BadUserInput(field, f"must be at most {max_length} characters, got {len(value)}")
    allowed = "\n\t" if multiline else ""
    if _has_control_characters(value.translate({ord(char): None for char in allowed})):
        raise BadUserInput(field, "must not contain control characters")
    return value


def check_price(value: Decimal, field: str = "price") -> Decimal:
    if not value.is_finite():
        raise BadUserInput(field, "must be a number")
    if value < 0:
        raise BadUserInput(field, "must not be negative")
    if value > MAX_PRICE:
        raise BadUserInput(field, f"must be at most {MAX_PRICE}")
    exponent = value.normalize().as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        raise BadUserInput(field, "must have at most 2 decimal places")
    return money(value)


def check_currency(value: str, field: str = "currency") -> str:
    if value not in CURRENCIES:
        raise BadUserInput(field, "must be an ISO 4217 currency code such as EUR or USD")
    return value


def check_country(value: str, field: str) -> str:
    if not _COUNTRY.match(value):
        raise BadUserInput(field, "must be an ISO 3166-1 alpha-2 country code such as DE or US")
    return value


def check_range(value: int, field: str, low: int, high: int) -> int:
    if not low <= value <= high:
        raise BadUserInput(field, f"must be between {low} and {high}, got {value}")
    return value


def check_idempotency_key(value: str, field: str = "idempotencyKey") -> str:
    if not _IDEMPOTENCY_KEY.match(value):
        raise BadUserInput(field, "must be 1 to 64 characters of letters, digits and _ . : -")
    return value
