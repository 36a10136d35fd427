"""Email and phone normalisation for matching, and what Vtiger stores."""

from __future__ import annotations

from ccsync.domain.contact import Consent, display_name, fingerprint
from ccsync.domain.normalize import (
    as_crm_stores,
    clean,
    email_key,
    email_problem,
    phone_key,
    phones_equal,
    truncate,
)


def test_email_key_normalises_and_casefolds() -> None:
    assert email_key("  Zoe@Example.COM ") == "zoe@example.com"
    assert email_key("STRASSE@example.com") == email_key("strasse@EXAMPLE.com")


def test_email_key_invalid_or_empty_is_none() -> None:
    assert email_key("") is None
    assert email_key("no at sign") is None
    assert email_key("ann@") is None


def test_email_problem_codes() -> None:
    assert email_problem(" ") == "no_email"
    assert email_problem("x@") == "invalid_email"
    assert email_problem("ann@example.com") is None


def test_phone_key_ignores_formatting() -> None:
    assert phone_key("(202) 555-0100") == "+12025550100"
    assert phones_equal("+1 202-555-0100", "202.555.0100")
    assert not phones_equal("202-555-0100", "202-555-0101")
    assert phone_key("ext. 12") == "12"


def test_as_crm_stores_replaces_characters_beyond_3_byte_utf8() -> None:
    assert as_crm_stores("Zoë 🎉") == "Zoë ?"
    assert as_crm_stores("plain") == "plain"


def test_clean_and_truncate() -> None:
    assert clean(None) == "" and clean("  a ") == "a" and clean(5) == "5"
    assert truncate("abc def", 4) == "abc" and truncate("ab", 4) == "ab"


def test_fingerprint_is_stable_and_sensitive() -> None:
    one = fingerprint({"a": "1", "b": "2"}, Consent("implicit"))
    assert one == fingerprint({"b": "2", "a": "1"}, Consent("implicit"))
    assert one != fingerprint({"a": "1", "b": "3"}, Consent("implicit"))
    assert one != fingerprint({"a": "1", "b": "2"}, Consent("unsubscribed"))


def test_display_name_falls_back_to_email() -> None:
    assert display_name({"firstname": "Ann", "lastname": "Lee"}) == "Ann Lee"
    assert display_name({"email": "a@b.c"}) == "a@b.c"
