"""Normalisation of emails, phones and free text for *comparison* (never for storage).

The email match key is email-validator's normalised address, casefolded, with no DNS lookup::

    >>> email_key(" Zoe@Example.COM ")
    'zoe@example.com'
    >>> email_key("not an email") is None
    True

Phones are compared through their E.164 form (phonenumbers) so that a provider reformatting
``555-0100`` into ``(555) 010-0`` is not mistaken for an edit; the stored value is never rewritten
only because its format differs.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email

DEFAULT_REGION = "US"

# Vtiger 8 stores text in 3-byte UTF-8 (utf8mb3): characters outside the Basic Multilingual
# Plane (emoji, some CJK extensions) come back as "?".
_BMP_LIMIT = 0xFFFF


def clean(value: Any) -> str:
    """A canonical text value: ``None`` becomes ``""``, other values are stripped strings."""
    if value is None:
        return ""
    return str(value).strip()


@lru_cache(maxsize=65536)
def email_key(address: str) -> str | None:
    """The match key of an email address, or None when it is empty or invalid.

    Args:
        address: an address as either side stores it.

    Returns:
        The normalised, casefolded address (no DNS check), or None.
    """
    text = address.strip()
    if not text:
        return None
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        return None
    return result.normalized.casefold()


def email_problem(address: str) -> str | None:
    """The identity reason code for an address: ``no_email``, ``invalid_email`` or None."""
    if not address.strip():
        return "no_email"
    return None if email_key(address) is not None else "invalid_email"


@lru_cache(maxsize=65536)
def phone_key(number: str, region: str = DEFAULT_REGION) -> str:
    """A comparison key for a phone number: E.164 when it parses, else its digits (and ``+``).

    Args:
        number: the phone as stored on a side.
        region: the default region for numbers written without a country code.
    """
    text = number.strip()
    if not text:
        return ""
    try:
        parsed = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return _digits(text)
    if not phonenumbers.is_possible_number(parsed):
        return _digits(text)
    return str(phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164))


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit() or ch == "+")


def phones_equal(left: str, right: str, region: str = DEFAULT_REGION) -> bool:
    """True when two phone values denote the same number (format differences ignored)."""
    if left == right:
        return True
    return phone_key(left, region) == phone_key(right, region)


def as_crm_stores(value: str) -> str:
    """The value as Vtiger 8 will keep it: characters beyond 3-byte UTF-8 become ``?``."""
    if value.isascii():
        return value
    return "".join(ch if ord(ch) <= _BMP_LIMIT else "?" for ch in value)


def truncate(value: str, limit: int) -> str:
    """``value`` cut to ``limit`` characters, trailing blanks removed (stays canonical)."""
    return value if len(value) <= limit else value[:limit].rstrip()
