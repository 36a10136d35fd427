"""Constant Contact ``ContactResource`` ⇄ canonical form, PUT/POST bodies and import rows.

``PUT`` nulls every core property it is not sent, so an update is always the *full merged*
record: the freshest read of the contact with the mapped values laid over it, keeping the
phone kinds, address kinds, custom fields and list memberships we do not map.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ccsync.domain.contact import CC_CORE_FIELDS, Canonical, Consent
from ccsync.domain.normalize import clean
from ccsync.engine.mapping_rows import FieldMapping, MappingRow

_IMPORT_ADDRESS = {
    "street": "street",
    "city": "city",
    "state": "state",
    "postal_code": "zip",
    "country": "country",
}


def _first(items: Any, key: str, wanted: str) -> Mapping[str, Any] | None:
    if not isinstance(items, list):
        return None
    for item in items:
        if isinstance(item, Mapping) and item.get(key) == wanted:
            return item
    return None


def _birthday(contact: Mapping[str, Any]) -> str:
    month, day = contact.get("birthday_month"), contact.get("birthday_day")
    if isinstance(month, int) and isinstance(day, int) and 1 <= month <= 12 and 1 <= day <= 31:
        return f"{month:02d}-{day:02d}"
    return ""


def _cc_value(row: MappingRow, contact: Mapping[str, Any]) -> str:
    kind = row.kind
    if kind == "core":
        return clean(contact.get(row.cc_key))
    if kind == "email":
        email = contact.get("email_address")
        return clean(email.get("address")) if isinstance(email, Mapping) else ""
    if kind == "phone":
        phone = _first(contact.get("phone_numbers"), "kind", row.cc_key)
        return clean(phone.get("phone_number")) if phone else ""
    if kind == "address":
        address = _first(contact.get("street_addresses"), "kind", row.cc_key)
        return clean(address.get(row.part)) if address else ""
    if kind == "custom":
        custom = _first(contact.get("custom_fields"), "custom_field_id", row.cc_key)
        return clean(custom.get("value")) if custom else ""
    return _birthday(contact)


def consent_of(contact: Mapping[str, Any]) -> Consent:
    """The contact's email permission (``not_set`` when the server sent none)."""
    email = contact.get("email_address")
    if not isinstance(email, Mapping):
        return Consent("not_set", None)
    source = email.get("opt_out_source")
    return Consent(clean(email.get("permission_to_send")) or "not_set", source or None)


def cc_to_canonical(contact: Mapping[str, Any], mapping: FieldMapping) -> tuple[Canonical, Consent]:
    """A ``ContactResource`` → (canonical form, consent).

    ``emailoptout`` is not part of the CC canonical form: the permission travels beside it.
    """
    canonical = {r.crm_field: _cc_value(r, contact) for r in mapping.rows if r.kind != "consent"}
    return canonical, consent_of(contact)


def _lay_sub(
    items: list[dict[str, Any]], key: str, wanted: str, entry: dict[str, Any] | None
) -> list[dict[str, Any]]:
    """Replace (or drop, when ``entry`` is None) the first item whose ``key`` is ``wanted``."""
    for index, item in enumerate(items):
        if item.get(key) == wanted:
            return items[:index] + ([entry] if entry else []) + items[index + 1 :]
    return [*items, entry] if entry else items


def _phones(fresh: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = fresh.get("phone_numbers") or []
    return [{"phone_number": p.get("phone_number"), "kind": p.get("kind")} for p in raw]


def _addresses(fresh: Mapping[str, Any]) -> list[dict[str, Any]]:
    keep = ("kind", *_IMPORT_ADDRESS)
    raw = fresh.get("street_addresses") or []
    return [{k: a[k] for k in keep if a.get(k) is not None} for a in raw]


def _customs(fresh: Mapping[str, Any]) -> list[dict[str, Any]]:
    raw = fresh.get("custom_fields") or []
    return [{"custom_field_id": c.get("custom_field_id"), "value": c.get("value")} for c in raw]


def _mapped(row: MappingRow, new: Mapping[str, str]) -> bool:
    return row.to_cc and row.crm_field in new and row.kind != "consent"


def _lay_core(body: dict[str, Any], row: MappingRow, text: str) -> None:
    if row.kind == "core":
        body[row.cc_key] = text
        if not text:
            del body[row.cc_key]  # PUT nulls what it is not sent; blank is refused
    elif row.kind == "birthday":
        body.pop("birthday_month", None)
        body.pop("birthday_day", None)
        if text:
            body["birthday_month"], body["birthday_day"] = (int(p) for p in text.split("-"))


def _lay_addresses(
    addresses: list[dict[str, Any]], rows: list[MappingRow], new: Mapping[str, str]
) -> list[dict[str, Any]]:
    for kind in dict.fromkeys(r.cc_key for r in rows):
        current = _first(addresses, "kind", kind)
        entry = dict(current) if current else {"kind": kind}
        for row in (r for r in rows if r.cc_key == kind):
            entry[row.part] = new[row.crm_field]
            if not entry[row.part]:
                del entry[row.part]
        filled = any(entry.get(part) for part in _IMPORT_ADDRESS)
        addresses = _lay_sub(addresses, "kind", kind, entry if filled else None)
    return addresses


def _lay(body: dict[str, Any], new: Mapping[str, str], mapping: FieldMapping) -> None:
    """Lay the mapped values of ``new`` over ``body`` (a PUT/POST body being built)."""
    phones, addresses = body["phone_numbers"], body["street_addresses"]
    customs = body["custom_fields"]
    address_rows: list[MappingRow] = []
    for row in (r for r in mapping.rows if _mapped(r, new)):
        text = new[row.crm_field]
        if row.kind == "phone":
            entry = {"phone_number": text, "kind": row.cc_key} if text else None
            phones = _lay_sub(phones, "kind", row.cc_key, entry)
        elif row.kind == "custom":
            entry = {"custom_field_id": row.cc_key, "value": text} if text else None
            customs = _lay_sub(customs, "custom_field_id", row.cc_key, entry)
        elif row.kind == "address":
            address_rows.append(row)
        elif row.kind == "email":
            body["email_address"]["address"] = text
        else:
            _lay_core(body, row, text)
    body["street_addresses"] = _lay_addresses(addresses, address_rows, new)
    body["phone_numbers"], body["custom_fields"] = phones, customs


def canonical_to_cc_put(
    new: Mapping[str, str],
    fresh: Mapping[str, Any],
    mapping: FieldMapping,
    *,
    permission: str | None,
    add_list_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The full merged ``ContactResource`` body of a ``PUT``.

    Args:
        new: the canonical values to have in CC (fields absent from ``new`` keep ``fresh``'s).
        fresh: the freshest read of the contact, sub-resources included.
        mapping: the field mapping; only fields that may flow into CC are laid over ``fresh``.
        permission: a permission a consent rule sets (``unsubscribed``), else None to copy
            ``fresh``'s permission unchanged.
        add_list_ids: lists to add (a revival needs at least one).

    Returns:
        The body, with ``update_source: "Account"``.
    """
    body: dict[str, Any] = {k: fresh[k] for k in CC_CORE_FIELDS if fresh.get(k) not in (None, "")}
    fresh_email = fresh.get("email_address")
    fresh_email = fresh_email if isinstance(fresh_email, Mapping) else {}
    body["email_address"] = {"address": clean(fresh_email.get("address"))}
    body["phone_numbers"], body["street_addresses"] = _phones(fresh), _addresses(fresh)
    body["custom_fields"] = _customs(fresh)
    _lay(body, new, mapping)
    chosen = permission or fresh_email.get("permission_to_send")
    if chosen:
        body["email_address"]["permission_to_send"] = chosen
    lists = list(fresh.get("list_memberships") or [])
    body["list_memberships"] = list(dict.fromkeys([*lists, *add_list_ids]))
    if fresh.get("taggings"):
        body["taggings"] = list(fresh["taggings"])
    body["update_source"] = "Account"
    return body


def canonical_to_cc_post(
    new: Mapping[str, str],
    mapping: FieldMapping,
    *,
    list_ids: Sequence[str],
    permission: str | None,
) -> dict[str, Any]:
    """The body of a ``POST /contacts`` (``create_source: "Account"``).

    Args:
        new: the canonical contact.
        mapping: the field mapping.
        list_ids: the target list(s).
        permission: ``permission_to_send`` to create with (``unsubscribed`` for "create as
            unsubscribed"), or None to let Constant Contact choose.
    """
    body = canonical_to_cc_put(new, {}, mapping, permission=permission, add_list_ids=list_ids)
    del body["update_source"]
    body["create_source"] = "Account"
    return {k: v for k, v in body.items() if v != []}


def _import_key(row: MappingRow) -> str:
    if row.kind == "phone":
        return f"{row.cc_key}_phone"
    if row.kind == "address":
        part = _IMPORT_ADDRESS[row.part]
        return part if row.cc_key == "home" else f"{row.cc_key}_{part}"
    if row.kind == "custom":
        return f"cf:{row.cc_name}"
    return "email" if row.kind == "email" else row.cc_key


def canonical_to_import_row(new: Mapping[str, str], mapping: FieldMapping) -> dict[str, Any]:
    """One ``contacts_json_import`` row (non-empty mapped values only).

    Home addresses use the plain keys (``street``, ``city``, ``state``, ``zip``, ``country``),
    other kinds ``<kind>_street`` …; phones ``<kind>_phone``; custom fields ``cf:<name>``;
    ``birthday_month``/``birthday_day`` are integers, as the contract types them.
    """
    row_out: dict[str, Any] = {}
    for row in (r for r in mapping.rows if _mapped(r, new) and new[r.crm_field]):
        text = new[row.crm_field]
        if row.kind == "birthday":
            month, day = text.split("-")
            row_out["birthday_month"], row_out["birthday_day"] = int(month), int(day)
        else:
            row_out[_import_key(row)] = text
    return row_out
