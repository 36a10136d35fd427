"""Reason codes: the exact strings of the brief, each with a message template."""

from __future__ import annotations

from ccsync.engine import reasons

EXPECTED = {
    "company_not_in_crm",
    "no_email",
    "invalid_email",
    "cc_no_email",
    "no_last_name",
    "missing_mandatory",
    "ambiguous_crm_duplicates",
    "email_already_linked",
    "cc_email_in_use",
    "crm_opted_out_not_in_cc",
    "optout_sticky",
    "email_too_long",
    "value_too_long",
    "truncated",
    "lossy_in_crm",
    "out_of_scope",
    "delete_ignored",
    "delete_held",
    "create_held",
    "error_will_retry",
    "dead_letter",
    "direction_filtered",
    "tombstoned",
    "crm_twin_opted_out",
    "cc_unsubscribed_off_list",
    "cc_resubscribed",
    "cc_twin_deleted",
}


def test_every_reason_code_has_a_template() -> None:
    assert reasons.ALL_CODES == EXPECTED


def test_message_fills_values_and_keeps_missing_ones_visible() -> None:
    text = reasons.message("cc_email_in_use", email="a@b.co", holder="c9")
    assert text == "a@b.co belongs to another Constant Contact contact c9 ({status})."


def test_missing_mandatory_is_parametrised() -> None:
    assert reasons.mandatory("lastname") == "no_last_name"
    assert reasons.mandatory("cf_7") == "missing_mandatory:cf_7"
    assert reasons.base_code("missing_mandatory:cf_7") == "missing_mandatory"
    assert "cf_7" in reasons.message("missing_mandatory:cf_7")
