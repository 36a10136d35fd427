"""``POST /v3/contacts/sign_up_form``: the contact's own create-or-update (forces ``explicit``)."""

from __future__ import annotations

from typing import Any

from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact.config import EmulatorConfig
from ccsync.emulators.constantcontact.state import Account, Record
from ccsync.emulators.constantcontact.validation import (
    CORE_STRINGS,
    check_address,
    check_anniversary,
    check_array,
    check_birthday,
    check_id_list,
    check_string,
    is_email,
)


def check(account: Account, body: Any) -> list[str]:
    """Problems with a ``ContactCreateOrUpdateInput`` body."""
    if not isinstance(body, dict):
        return ["The request body must be a JSON object"]
    errors: list[str] = []
    check_string(errors, "email_address", body.get("email_address"), 50)
    if not is_email(body.get("email_address")):
        errors.append("email_address is required and must be a valid email address")
    for name, limit in CORE_STRINGS.items():
        check_string(errors, name, body.get(name), limit)
    check_string(errors, "phone_number", body.get("phone_number"), 25)
    check_birthday(errors, body.get("birthday_month"), body.get("birthday_day"))
    check_anniversary(errors, body.get("anniversary"))
    lists = check_id_list(errors, "list_memberships", body.get("list_memberships"), 50, minimum=1)
    live = account.live_lists()
    errors += [f"Unknown list_id {i[:60]}" for i in lists if i not in live]
    for cf in check_array(errors, "custom_fields", body.get("custom_fields"), 50):
        field_id = cf.get("custom_field_id") if isinstance(cf, dict) else None
        if not isinstance(field_id, str) or field_id not in account.custom_fields:
            errors.append("custom_fields contains an unknown custom_field_id")
        else:
            check_string(errors, "custom_fields.value", cf.get("value"), 255)
    if body.get("street_address") is not None:
        check_address(errors, "street_address", body["street_address"])
    return errors


def upsert(account: Account, body: Record, now: str, config: EmulatorConfig) -> tuple[str, bool]:
    """Create or partially update the contact; returns ``(contact_id, created)``."""
    contact = account.contact_by_email(body["email_address"])
    created = contact is None
    if contact is None:
        email = {"address": body["email_address"], "permission_to_send": "explicit"}
        new: Record = {"email_address": email, "create_source": "Contact"}
        contact = ops.create_contact(account, new, now, config)
    for key in ops.CORE_FIELDS:
        if body.get(key) is not None:
            contact[key] = body[key]
    _merge_subresources(contact, body, now, config)
    if contact["email_address"].get("permission_to_send") != "explicit":
        ops.set_permission(contact, "explicit", now)
    contact["deleted_at"] = None
    contact["list_memberships"] = list(
        dict.fromkeys([*contact["list_memberships"], *body["list_memberships"]])
    )[:50]
    contact.update(update_source="Contact", updated_at=now)
    return str(contact["contact_id"]), created


def _merge_subresources(contact: Record, body: Record, now: str, config: EmulatorConfig) -> None:
    """Lists and custom fields are appended; a sent phone or address replaces its kind."""
    for cf in body.get("custom_fields") or []:
        kept = [
            c for c in contact["custom_fields"] if c["custom_field_id"] != cf["custom_field_id"]
        ]
        contact["custom_fields"] = [*kept, ops.build_custom_fields([cf])[0]][:25]
    if body.get("phone_number"):
        phones = [p for p in contact["phone_numbers"] if p["kind"] != "other"][:2]
        item = {"phone_number": body["phone_number"], "kind": "other"}
        contact["phone_numbers"] = [*phones, *ops.build_phones([item], now, "Contact", config)]
    address = body.get("street_address")
    if address:
        kept = [a for a in contact["street_addresses"] if a["kind"] != address["kind"]][:2]
        contact["street_addresses"] = [*kept, *ops.build_addresses([address], now)]
