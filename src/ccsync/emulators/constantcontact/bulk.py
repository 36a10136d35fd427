"""What each bulk activity does when it completes (import, delete, list memberships, export)."""

from __future__ import annotations

import csv
import io
from typing import Any

from ccsync.emulators.constantcontact import contacts as ops
from ccsync.emulators.constantcontact.state import Account, EmulatorState, Record

PHONE_KEYS = {
    "phone": "other",
    "home_phone": "home",
    "work_phone": "work",
    "mobile_phone": "mobile",
    "other_phone": "other",
}
ADDRESS_PREFIXES = {"": "home", "home_": "home", "work_": "work", "other_": "other"}
ADDRESS_PARTS = {
    "street": "street",
    "street2": "street2",
    "city": "city",
    "state": "state",
    "zip": "postal_code",
    "country": "country",
}
ADDRESS_KEYS = {prefix + part for prefix in ADDRESS_PREFIXES for part in ADDRESS_PARTS}
EXPORT_COLUMNS = (
    ("email", "Email address"),
    ("first_name", "First name"),
    ("last_name", "Last name"),
    ("job_title", "Job title"),
    ("company_name", "Company"),
    ("permission_to_send", "Email permission status"),
    ("phone", "Phone number"),
    ("created_at", "Created At"),
    ("updated_at", "Updated At"),
)


def apply(state: EmulatorState, account: Account, activity: Record, now: str) -> None:
    """Carry out a completed activity at the instant ``now``."""
    kind = activity["kind"]
    payload = activity["payload"]
    if kind == "import":
        _import(state, account, activity, payload, now)
    elif kind == "delete":
        for contact in _selected(account, payload):
            if not contact.get("deleted_at"):
                ops.soft_delete(contact, now, state.config)
    elif kind == "add_lists":
        for contact in _selected(account, payload):
            ops.add_lists(contact, payload["list_ids"], now, state.config)
    elif kind == "remove_lists":
        targets = set(payload["list_ids"])
        for contact in _selected(account, payload):
            ops.remove_lists(contact, targets, now, state.config)
    elif kind == "export":
        account.exports[activity["activity_id"]] = _export_csv(account, payload)
    elif kind == "delete_fields":
        for field_id in payload["custom_field_ids"]:
            delete_custom_field(account, field_id)


def delete_custom_field(account: Account, field_id: str) -> None:
    """Remove a custom field and every contact's value of it."""
    account.custom_fields.pop(field_id, None)
    for contact in account.contacts.values():
        contact["custom_fields"] = [
            c for c in contact["custom_fields"] if c["custom_field_id"] != field_id
        ]


def _selected(account: Account, payload: dict[str, Any]) -> list[Record]:
    """Contacts chosen by ``contact_ids``, ``list_ids`` or ``all_active_contacts``."""
    exclude = set(payload.get("exclude") or [])
    if payload.get("contact_ids"):
        found = (account.contacts.get(i) for i in payload["contact_ids"])
        chosen = [c for c in found if c is not None]
    elif payload.get("source_lists"):
        lists = set(payload["source_lists"])
        chosen = [c for c in account.contacts.values() if lists & set(c["list_memberships"])]
    elif payload.get("all_active"):
        chosen = [c for c in account.contacts.values() if not c.get("deleted_at")]
    else:
        chosen = []
    return [c for c in chosen if c["contact_id"] not in exclude]


def _import(
    state: EmulatorState, account: Account, activity: Record, payload: dict[str, Any], now: str
) -> None:
    refused = 0
    for row in payload["rows"]:
        contact = account.contact_by_email(row["email"])
        if contact is None:
            body = {"email_address": {"address": row["email"]}, "create_source": "Account"}
            contact = ops.create_contact(account, body, now, state.config)
        else:
            contact["update_source"] = "Account"
            contact["updated_at"] = now
        _merge_row(account, contact, row, now, state)
        if not ops.add_lists(contact, payload["list_ids"], now, state.config):
            refused += 1
    activity["status"]["cannot_add_to_list_count"] = refused


def _merge_row(
    account: Account, contact: Record, row: dict[str, Any], now: str, state: EmulatorState
) -> None:
    """Only the properties present in the row change; permission is never touched."""
    for key in ops.CORE_FIELDS:
        if key in row:
            contact[key] = row[key]
    for key in PHONE_KEYS.keys() & row.keys():
        if row[key]:
            _set_phone(contact, PHONE_KEYS[key], str(row[key]), now, state)
    if ADDRESS_KEYS & row.keys():
        for prefix, kind in ADDRESS_PREFIXES.items():
            parts = {
                ADDRESS_PARTS[p]: row[prefix + p] for p in ADDRESS_PARTS if row.get(prefix + p)
            }
            if parts:
                _set_address(contact, kind, parts, now)
    for key, value in row.items():
        if key.startswith("cf:"):
            field = account.custom_field_by_name(key[3:])
            if field is not None:
                _set_custom_field(contact, field["custom_field_id"], str(value))


def _set_phone(contact: Record, kind: str, number: str, now: str, state: EmulatorState) -> None:
    phones = [p for p in contact["phone_numbers"] if p["kind"] != kind]
    if len(phones) >= 3:
        return
    item = {"phone_number": number, "kind": kind}
    built = ops.build_phones([item], now, "Account", state.config)
    contact["phone_numbers"] = [*phones, *built]


def _set_address(contact: Record, kind: str, parts: dict[str, Any], now: str) -> None:
    addresses = [a for a in contact["street_addresses"] if a["kind"] != kind]
    if len(addresses) >= 3:
        return
    street2 = parts.pop("street2", None)
    if street2:
        parts["street"] = f"{parts.get('street', '')}\n{street2}".strip()
    built = ops.build_addresses([{"kind": kind, **parts}], now)
    contact["street_addresses"] = [*addresses, *built]


def _set_custom_field(contact: Record, field_id: str, value: str) -> None:
    values = [c for c in contact["custom_fields"] if c["custom_field_id"] != field_id]
    contact["custom_fields"] = [*values, {"custom_field_id": field_id, "value": value}][:25]


def _export_csv(account: Account, payload: dict[str, Any]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([title for _, title in EXPORT_COLUMNS])
    for contact in _selected(account, payload):
        email = contact["email_address"]
        phone = contact["phone_numbers"][0]["phone_number"] if contact["phone_numbers"] else ""
        values = {
            **contact,
            "email": email["address"],
            "permission_to_send": email.get("permission_to_send"),
            "phone": phone,
        }
        writer.writerow([values.get(key) or "" for key, _ in EXPORT_COLUMNS])
    return buffer.getvalue()
