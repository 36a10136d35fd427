"""Request-body checks taken from the contract: lengths, counts and enums.

Each checker returns a list of messages; the API layer turns a non-empty list into
``400 [{"error_key": "contacts.api.validation.error", "error_message": …}, …]``.
"""

from __future__ import annotations

import re
from typing import Any

SOURCES = ("Contact", "Account")
PERMISSIONS = (
    "explicit",
    "implicit",
    "not_set",
    "pending_confirmation",
    "temp_hold",
    "unsubscribed",
)
PHONE_KINDS = ("home", "work", "mobile", "other")
ADDRESS_KINDS = ("home", "work", "other")
CORE_STRINGS = {"first_name": 50, "last_name": 50, "job_title": 50, "company_name": 50}
ADDRESS_STRINGS = {"street": 255, "city": 50, "state": 50, "postal_code": 50, "country": 50}
# Emulators only need to refuse obvious garbage; a regex keeps 40,000-row imports fast.
EMAIL_RE = re.compile(r"^[^@\s\"(),:;<>\[\]\\]+@[^@\s\"(),:;<>\[\]\\]+\.[A-Za-z0-9-]{2,}$")
UUID_RE = re.compile(
    r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$"
)
ANNIVERSARY_RES = [
    re.compile(p)
    for p in (
        r"^\d{1,2}/\d{1,2}/\d{4}$",
        r"^\d{4}/\d{1,2}/\d{1,2}$",
        r"^\d{4}-\d{1,2}-\d{1,2}$",
        r"^\d{1,2}-\d{1,2}-\d{4}$",
    )
]


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a uuid string."""
    return isinstance(value, str) and bool(UUID_RE.match(value))


def is_email(value: object) -> bool:
    """Whether ``value`` looks like an email address."""
    return isinstance(value, str) and bool(EMAIL_RE.match(value))


def check_string(errors: list[str], name: str, value: Any, limit: int) -> None:
    """Append an error unless ``value`` is absent, null or a string of at most ``limit``."""
    if value is None:
        return
    if not isinstance(value, str):
        errors.append(f"{name} must be a string")
    elif len(value) > limit:
        errors.append(f"{name} must be at most {limit} characters long")


def check_enum(errors: list[str], name: str, value: Any, allowed: tuple[str, ...]) -> None:
    """Append an error unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        errors.append(f"{name} does not have a valid value; allowed: {', '.join(allowed)}")


def check_array(errors: list[str], name: str, value: Any, limit: int) -> list[Any]:
    """The array ``value`` (``[]`` if absent); appends an error if it is not a short list."""
    if value is None:
        return []
    if not isinstance(value, list):
        errors.append(f"{name} must be an array")
        return []
    if len(value) > limit:
        errors.append(f"{name} must contain at most {limit} items")
    return value


def check_contact_body(
    body: Any, *, put: bool, list_ids: set[str], field_ids: set[str]
) -> list[str]:
    """Check a ``ContactPostRequest`` (``put=False``) or ``ContactPutRequest`` body."""
    if not isinstance(body, dict):
        return ["The request body must be a JSON object"]
    errors: list[str] = []
    source_key = "update_source" if put else "create_source"
    if body.get(source_key) not in SOURCES:
        errors.append(f"{source_key} is missing, {source_key} does not have a valid value")
    _check_email_object(errors, body.get("email_address"), required=put)
    if not put and not any(body.get(k) for k in ("first_name", "last_name", "email_address")):
        errors.append("At least one of first_name, last_name or email_address is required")
    for name, limit in CORE_STRINGS.items():
        check_string(errors, name, body.get(name), limit)
    check_birthday(errors, body.get("birthday_month"), body.get("birthday_day"))
    check_anniversary(errors, body.get("anniversary"))
    check_subresources(errors, body, list_ids, field_ids)
    return errors


def _check_email_object(errors: list[str], value: Any, *, required: bool) -> None:
    if value is None:
        if required:
            errors.append("email_address is required")
        return
    if not isinstance(value, dict):
        errors.append("email_address must be an object")
        return
    address = value.get("address")
    check_string(errors, "email_address.address", address, 80)
    if not is_email(address):
        errors.append("email_address.address is not a valid email address")
    permission = value.get("permission_to_send")
    if permission is not None:
        check_enum(errors, "email_address.permission_to_send", permission, PERMISSIONS)
    check_string(errors, "email_address.opt_out_reason", value.get("opt_out_reason"), 255)


def check_birthday(errors: list[str], month: Any, day: Any) -> None:
    """Birthday month 1–12 and day 1–31, given together or not at all."""
    if month is None and day is None:
        return
    if month is None or day is None:
        errors.append("birthday_month and birthday_day must be given together")
        return
    if not isinstance(month, int) or isinstance(month, bool) or not 1 <= month <= 12:
        errors.append("birthday_month must be an integer from 1 to 12")
    if not isinstance(day, int) or isinstance(day, bool) or not 1 <= day <= 31:
        errors.append("birthday_day must be an integer from 1 to 31")


def check_anniversary(errors: list[str], value: Any) -> None:
    """An anniversary in one of the contract's date formats (≤ 10 characters)."""
    if value is None:
        return
    check_string(errors, "anniversary", value, 10)
    if isinstance(value, str) and not any(r.match(value) for r in ANNIVERSARY_RES):
        errors.append("anniversary does not have a valid date format")


def check_subresources(
    errors: list[str], body: dict[str, Any], list_ids: set[str], field_ids: set[str]
) -> None:
    """Custom fields, phones, addresses, lists, taggings and notes of a contact body."""
    for cf in check_array(errors, "custom_fields", body.get("custom_fields"), 25):
        field_id = cf.get("custom_field_id") if isinstance(cf, dict) else None
        if not isinstance(field_id, str) or field_id not in field_ids:
            errors.append("custom_fields contains an unknown custom_field_id")
            continue
        check_string(errors, "custom_fields.value", cf.get("value"), 255)
    for phone in check_array(errors, "phone_numbers", body.get("phone_numbers"), 3):
        if not isinstance(phone, dict):
            errors.append("phone_numbers items must be objects")
            continue
        check_string(errors, "phone_numbers.phone_number", phone.get("phone_number"), 25)
        check_enum(errors, "phone_numbers.kind", phone.get("kind"), PHONE_KINDS)
    for address in check_array(errors, "street_addresses", body.get("street_addresses"), 3):
        check_address(errors, "street_addresses", address)
    for list_id in check_array(errors, "list_memberships", body.get("list_memberships"), 50):
        if not isinstance(list_id, str) or list_id not in list_ids:
            errors.append(f"list_memberships contains an unknown list_id: {str(list_id)[:60]}")
    for tag in check_array(errors, "taggings", body.get("taggings"), 50):
        if not is_uuid(tag):
            errors.append("taggings items must be uuids")
    for note in check_array(errors, "notes", body.get("notes"), 150):
        if not isinstance(note, dict):
            errors.append("notes items must be objects")
            continue
        check_string(errors, "notes.content", note.get("content"), 2000)


def check_address(errors: list[str], name: str, address: Any) -> None:
    """One ``StreetAddressPut``: ``kind`` required, field lengths."""
    if not isinstance(address, dict):
        errors.append(f"{name} items must be objects")
        return
    check_enum(errors, f"{name}.kind", address.get("kind"), ADDRESS_KINDS)
    for key, limit in ADDRESS_STRINGS.items():
        check_string(errors, f"{name}.{key}", address.get(key), limit)


def check_id_list(
    errors: list[str], name: str, value: Any, limit: int, *, minimum: int = 0
) -> list[str]:
    """A list of uuids of at least ``minimum`` and at most ``limit`` items."""
    if value is None and minimum == 0:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        errors.append(f"{name} must be an array of ids")
        return []
    if len(value) < minimum:
        errors.append(f"{name} must contain at least {minimum} item(s)")
    if len(value) > limit:
        errors.append(f"{name} must contain at most {limit} items")
    return list(value)
