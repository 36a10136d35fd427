"""Reason codes of skipped, held and noted actions, each with a message template for people.

Codes are stable strings stored in run items and shown in the Sync Log; ``message(code, **v)``
fills the template (missing values are left as ``{name}`` rather than raising).
``missing_mandatory:<field>`` is the one parametrised code.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

NO_EMAIL = "no_email"
INVALID_EMAIL = "invalid_email"
CC_NO_EMAIL = "cc_no_email"
NO_LAST_NAME = "no_last_name"
MISSING_MANDATORY = "missing_mandatory"
AMBIGUOUS_CRM_DUPLICATES = "ambiguous_crm_duplicates"
EMAIL_ALREADY_LINKED = "email_already_linked"
CC_EMAIL_IN_USE = "cc_email_in_use"
CRM_OPTED_OUT_NOT_IN_CC = "crm_opted_out_not_in_cc"
OPTOUT_STICKY = "optout_sticky"
EMAIL_TOO_LONG = "email_too_long"
VALUE_TOO_LONG = "value_too_long"
TRUNCATED = "truncated"
LOSSY_IN_CRM = "lossy_in_crm"
OUT_OF_SCOPE = "out_of_scope"
DELETE_IGNORED = "delete_ignored"
DELETE_HELD = "delete_held"
CREATE_HELD = "create_held"
ERROR_WILL_RETRY = "error_will_retry"
DEAD_LETTER = "dead_letter"
DIRECTION_FILTERED = "direction_filtered"
TOMBSTONED = "tombstoned"
COMPANY_NOT_IN_CRM = "company_not_in_crm"
CRM_TWIN_OPTED_OUT = "crm_twin_opted_out"
CC_UNSUBSCRIBED_OFF_LIST = "cc_unsubscribed_off_list"
CC_RESUBSCRIBED = "cc_resubscribed"
CC_TWIN_DELETED = "cc_twin_deleted"

TEMPLATES: dict[str, str] = {
    NO_EMAIL: "The contact has no email address.",
    INVALID_EMAIL: "The email address {email!r} is not valid.",
    CC_NO_EMAIL: "The Constant Contact contact has no email address.",
    NO_LAST_NAME: "Vtiger requires a last name and this contact has none.",
    MISSING_MANDATORY: "Vtiger requires {field} and this contact has no value for it.",
    AMBIGUOUS_CRM_DUPLICATES: "Several Vtiger contacts share {email}: {candidates}. "
    "Choose the one to link.",
    EMAIL_ALREADY_LINKED: "{email} already belongs to the linked pair {crm_id} ⇄ {cc_id}.",
    CC_EMAIL_IN_USE: "{email} belongs to another Constant Contact contact {holder} ({status}).",
    CRM_OPTED_OUT_NOT_IN_CC: "Email Opt Out is set and the contact is not in Constant Contact; "
    "it is not created there.",
    OPTOUT_STICKY: "Constant Contact says unsubscribed, so Email Opt Out is set back to 1.",
    EMAIL_TOO_LONG: "The email address has {length} characters; the limit is {limit}.",
    VALUE_TOO_LONG: "{field} is too long for the target ({detail}).",
    TRUNCATED: "{field} was cut to the target's limit ({detail}).",
    LOSSY_IN_CRM: "{field} has characters Vtiger stores as '?'.",
    OUT_OF_SCOPE: "The record left the connector's scope; the pair is unlinked, nothing deleted.",
    DELETE_IGNORED: "The delete on the other side is not mirrored (policy); the pair is unlinked.",
    DELETE_HELD: "Held by the circuit breaker: {count} deletes planned (limit {limit}).",
    CREATE_HELD: "Held by the circuit breaker: {count} creates planned (limit {limit}).",
    ERROR_WILL_RETRY: "The write failed ({error}); attempt {attempt} of 5, retried later.",
    DEAD_LETTER: "The write failed 5 times ({error}); it waits in the dead-letter list.",
    DIRECTION_FILTERED: "The sync direction does not allow writing this change to {side}.",
    TOMBSTONED: "The pair was deleted; an older change does not bring it back.",
    COMPANY_NOT_IN_CRM: "No Vtiger organisation is named exactly {name!r}; the contact's "
    "organisation was left as it was.",
    CRM_TWIN_OPTED_OUT: "Another Vtiger contact with this email has Email Opt Out set, so "
    "the person is not subscribed in Constant Contact.",
    CC_RESUBSCRIBED: "The person re-subscribed in Constant Contact after this contact's Email "
    "Opt Out was set: Email Opt Out is cleared (same email address).",
    CC_UNSUBSCRIBED_OFF_LIST: "The person unsubscribed in Constant Contact (not on the synced "
    "list): Email Opt Out is set; nothing is created or linked.",
    CC_TWIN_DELETED: "The Constant Contact contact with this email was deleted after this "
    "contact's last change (or after a write to it failed); the delete stands until the Vtiger "
    "contact changes again.",
}

ALL_CODES = frozenset(TEMPLATES)


class _Lenient(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def base_code(code: str) -> str:
    """The code without its parameter (``missing_mandatory:cf_7`` → ``missing_mandatory``)."""
    return code.split(":", 1)[0]


def message(code: str, **values: Any) -> str:
    """The human message of ``code`` with ``values`` filled in.

    Args:
        code: a reason code (``missing_mandatory:<field>`` fills ``field`` by itself).
        values: template values; absent ones stay visible as ``{name}``.
    """
    base, _, param = code.partition(":")
    if param:
        values.setdefault("field", param)
    template = TEMPLATES.get(base, base)
    return Formatter().vformat(template, (), _Lenient(values))


def mandatory(field: str) -> str:
    """The reason code of a missing mandatory Vtiger field."""
    return NO_LAST_NAME if field == "lastname" else f"{MISSING_MANDATORY}:{field}"
