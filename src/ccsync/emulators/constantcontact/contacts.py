"""Contact records: building, serialising and changing them the way CC does.

Callers hold ``EmulatorState.lock`` and have validated the body already
(``validation.check_contact_body``). Every function takes ``now`` (a stored timestamp from the
emulator clock) so one request writes one consistent instant.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

import phonenumbers

from ccsync.emulators.constantcontact.config import EmulatorConfig
from ccsync.emulators.constantcontact.state import Account, Record, new_id, stamp
from ccsync.emulators.constantcontact.validation import is_uuid

CORE_FIELDS = (
    "first_name",
    "last_name",
    "job_title",
    "company_name",
    "birthday_month",
    "birthday_day",
    "anniversary",
)
SUBRESOURCES = (
    "custom_fields",
    "list_memberships",
    "phone_numbers",
    "street_addresses",
    "taggings",
    "notes",
)
SUBSCRIBED = ("explicit", "implicit")
CONTACT_OPTOUT_REFUSAL = (
    "This contact unsubscribed themselves (opt_out_source Contact); only the contact can "
    "re-subscribe, through a resubscribe email or a sign-up form"
)


class ContactRefused(Exception):
    """A change CC refuses for this contact (becomes a 400)."""


def serialize(contact: Record, include: Collection[str] = ()) -> Record:
    """A ``ContactResource``: core properties plus the sub-resources named in ``include``."""
    out: Record = {}
    for key, value in contact.items():
        if value is None or (key in SUBRESOURCES and key not in include):
            continue
        if key == "email_address":
            value = {k: v for k, v in value.items() if v is not None}
        out[key] = value
    return out


def format_phone(number: str, config: EmulatorConfig) -> str:
    """The phone number as stored: as sent, or reformatted (``phone_format=reformat``)."""
    if config.phone_format != "reformat":
        return number
    try:
        parsed = phonenumbers.parse(number, "US")
    except phonenumbers.NumberParseException:
        return number
    if not phonenumbers.is_possible_number(parsed):
        return number
    fmt = phonenumbers.PhoneNumberFormat
    style = fmt.NATIONAL if parsed.country_code == 1 else fmt.INTERNATIONAL
    return str(phonenumbers.format_number(parsed, style))[:25]


def build_phones(items: list[Any], now: str, source: str, config: EmulatorConfig) -> list[Record]:
    """Stored ``PhoneNumber`` records from ``PhoneNumberPut`` items."""
    return [
        {
            "phone_number_id": new_id(),
            "phone_number": format_phone(str(p.get("phone_number") or ""), config),
            "kind": p.get("kind"),
            "created_at": now,
            "updated_at": now,
            "update_source": source,
            "create_source": source,
        }
        for p in items
    ]


def build_addresses(items: list[Any], now: str) -> list[Record]:
    """Stored ``StreetAddress`` records from ``StreetAddressPut`` items."""
    keys = ("kind", "street", "city", "state", "postal_code", "country")
    return [
        {"street_address_id": new_id(), **{k: a.get(k) for k in keys if a.get(k) is not None}}
        | {"created_at": now, "updated_at": now}
        for a in items
    ]


def build_custom_fields(items: list[Any]) -> list[Record]:
    """Stored contact custom-field values (``custom_field_id`` + ``value``)."""
    return [{"custom_field_id": c["custom_field_id"], "value": c.get("value") or ""} for c in items]


def build_notes(items: list[Any], now: str) -> list[Record]:
    """Stored notes, newest first."""
    notes = [
        {
            "note_id": n["note_id"] if is_uuid(n.get("note_id")) else new_id(),
            "created_at": _instant_or(n.get("created_at"), now),
            "content": n.get("content") or "",
        }
        for n in items
    ]
    return sorted(notes, key=lambda n: str(n["created_at"]), reverse=True)


def _instant_or(value: Any, default: str) -> str:
    """A client-sent timestamp, normalised, or ``default`` when it is not one."""
    if not isinstance(value, str):
        return default
    try:
        instant = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return default
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=UTC)
    return stamp(instant.timestamp())


def set_subresources(contact: Record, body: Record, now: str, config: EmulatorConfig) -> None:
    """Replace each sub-resource the body sends; keep those it does not send."""
    source = str(contact.get("update_source") or "Account")
    if body.get("custom_fields") is not None:
        contact["custom_fields"] = build_custom_fields(body["custom_fields"])
    if body.get("phone_numbers") is not None:
        contact["phone_numbers"] = build_phones(body["phone_numbers"], now, source, config)
    if body.get("street_addresses") is not None:
        contact["street_addresses"] = build_addresses(body["street_addresses"], now)
    if body.get("list_memberships") is not None and not is_unsubscribed(contact):
        contact["list_memberships"] = list(dict.fromkeys(body["list_memberships"]))
    if body.get("taggings") is not None:
        contact["taggings"] = list(dict.fromkeys(body["taggings"]))
    if body.get("notes") is not None:
        contact["notes"] = build_notes(body["notes"], now)


def is_unsubscribed(contact: Record) -> bool:
    """Whether the contact's email permission is ``unsubscribed``."""
    return bool(contact["email_address"].get("permission_to_send") == "unsubscribed")


def new_email(address: str, permission: str, source: str, now: str) -> Record:
    """An ``EmailAddress`` record for a new contact."""
    email: Record = {
        "address": address,
        "permission_to_send": permission,
        "created_at": now,
        "updated_at": now,
        "opt_in_source": source,
        "opt_in_date": now if permission in SUBSCRIBED else None,
        "opt_out_source": None,
        "opt_out_date": None,
        "opt_out_reason": None,
        "confirm_status": "off",
    }
    if permission == "unsubscribed":
        email.update(opt_in_source=None, opt_out_source=source, opt_out_date=now)
    return email


def create_contact(account: Account, body: Record, now: str, config: EmulatorConfig) -> Record:
    """Add a contact from a validated ``ContactPostRequest``-like body (email must be free)."""
    source = str(body.get("create_source") or "Account")
    email_in = body.get("email_address") or {}
    permission = str(email_in.get("permission_to_send") or "implicit")
    contact: Record = {"contact_id": new_id()}
    contact["email_address"] = new_email(str(email_in["address"]), permission, source, now)
    contact["email_address"]["opt_out_reason"] = email_in.get("opt_out_reason")
    for key in CORE_FIELDS:
        contact[key] = body.get(key)
    contact.update(
        update_source=source, create_source=source, created_at=now, updated_at=now, deleted_at=None
    )
    for key in SUBRESOURCES:
        contact[key] = []
    set_subresources(contact, body, now, config)
    account.contacts[contact["contact_id"]] = contact
    account.index_email(contact)
    return contact


def put_contact(
    account: Account, contact: Record, body: Record, now: str, config: EmulatorConfig
) -> None:
    """Apply a validated ``ContactPutRequest``: core fields replaced, sub-resources merged.

    Raises:
        ContactRefused: the body would re-subscribe a contact who unsubscribed themselves.
    """
    email_in = body["email_address"]
    apply_permission(contact, email_in, str(body["update_source"]), now, config)
    old_address = contact["email_address"]["address"]
    if email_in["address"] != old_address:
        contact["email_address"]["address"] = email_in["address"]
        contact["email_address"]["updated_at"] = now
        account.index_email(contact, old_address)
    for key in CORE_FIELDS:
        contact[key] = body.get(key)
    contact["update_source"] = body["update_source"]
    if contact.get("deleted_at") and body.get("list_memberships"):
        contact["deleted_at"] = None
    set_subresources(contact, body, now, config)
    contact["updated_at"] = now


def apply_permission(
    contact: Record, email_in: Record, source: str, now: str, config: EmulatorConfig
) -> None:
    """The permission part of a PUT (see the docs for the rules and the unknowns)."""
    current = contact["email_address"].get("permission_to_send")
    wanted = email_in.get("permission_to_send")
    if wanted is None:
        if config.put_without_permission == "reset" and current != "unsubscribed":
            set_permission(contact, "not_set", now)
        return
    if wanted == current:
        return
    if wanted == "unsubscribed":
        unsubscribe(contact, source, email_in.get("opt_out_reason"), now, bump=True)
        return
    if current == "unsubscribed" and contact["email_address"].get("opt_out_source") == "Contact":
        raise ContactRefused(CONTACT_OPTOUT_REFUSAL)
    set_permission(contact, str(wanted), now)


def set_permission(contact: Record, permission: str, now: str) -> None:
    """Change the permission; leaving ``unsubscribed`` clears the opt-out fields."""
    email = contact["email_address"]
    email.update(permission_to_send=permission, updated_at=now)
    if permission in SUBSCRIBED:
        email.update(opt_in_date=now, opt_out_source=None, opt_out_date=None, opt_out_reason=None)


def unsubscribe(contact: Record, source: str, reason: Any, now: str, *, bump: bool) -> None:
    """Opt the contact out (removes every list membership, as CC does)."""
    contact["email_address"].update(
        permission_to_send="unsubscribed",
        opt_out_source=source,
        opt_out_date=now,
        opt_out_reason=reason,
        updated_at=now,
    )
    contact["list_memberships"] = []
    contact["update_source"] = source
    if bump:
        contact["updated_at"] = now


def soft_delete(contact: Record, now: str, config: EmulatorConfig) -> None:
    """Delete softly: a ``deleted_at`` date, no list memberships, record kept."""
    contact["deleted_at"] = now[:10]
    contact["list_memberships"] = []
    if config.delete_bumps_updated:
        contact["updated_at"] = now


def add_lists(contact: Record, list_ids: list[str], now: str, config: EmulatorConfig) -> bool:
    """Add memberships (reviving a deleted contact); refused for unsubscribed contacts."""
    if is_unsubscribed(contact):
        return False
    merged = list(dict.fromkeys([*contact["list_memberships"], *list_ids]))[:50]
    changed = merged != contact["list_memberships"] or bool(contact.get("deleted_at"))
    contact["list_memberships"] = merged
    contact["deleted_at"] = None
    if changed and config.membership_bumps_updated:
        contact["updated_at"] = now
    return True


def remove_lists(contact: Record, list_ids: set[str], now: str, config: EmulatorConfig) -> None:
    """Remove memberships of the given lists."""
    kept = [x for x in contact["list_memberships"] if x not in list_ids]
    if kept != contact["list_memberships"]:
        contact["list_memberships"] = kept
        if config.membership_bumps_updated:
            contact["updated_at"] = now
