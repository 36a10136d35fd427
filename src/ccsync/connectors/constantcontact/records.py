"""Contact resources as ``RemoteRecord``s, full PUT bodies, and the schema CC offers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from ccsync.connectors.base import FieldInfo, RemoteRecord, Schema
from ccsync.domain.contact import CC_CORE_FIELDS

INCLUDE = "custom_fields,list_memberships,phone_numbers,street_addresses"
_PHONE_KEYS = ("phone_number", "kind")
_ADDRESS_KEYS = ("kind", "street", "city", "state", "postal_code", "country")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(value: Any) -> datetime | None:
    """A CC timestamp (any ISO-8601 offset, or a bare date) as an aware UTC datetime."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def to_record(contact: Mapping[str, Any]) -> RemoteRecord:
    """A contact resource as a ``RemoteRecord`` (``deleted`` when ``deleted_at`` is set).

    A deletion is a change: a deleted contact's ``updated_at`` is the later of its last update
    and its deletion.
    """
    times = [parse_time(contact.get("updated_at")), parse_time(contact.get("deleted_at"))]
    return RemoteRecord(
        id=str(contact["contact_id"]),
        updated_at=max((t for t in times if t is not None), default=_EPOCH),
        fields=dict(contact),
        deleted=bool(contact.get("deleted_at")),
    )


def email_of(contact: Mapping[str, Any]) -> str:
    """The contact's email address ('' when it has none)."""
    email = contact.get("email_address") or {}
    return str(email.get("address") or "") if isinstance(email, Mapping) else ""


def status_of(contact: Mapping[str, Any]) -> str:
    """``deleted`` for a deleted contact, else its ``permission_to_send``."""
    if contact.get("deleted_at"):
        return "deleted"
    email = contact.get("email_address") or {}
    return str(email.get("permission_to_send") or "unknown")


def fingerprint(contact: Mapping[str, Any]) -> str:
    """What identifies one version of a contact, even when a change did not bump ``updated_at``."""
    email = contact.get("email_address") or {}
    parts = (
        contact.get("updated_at"),
        email.get("permission_to_send"),
        email.get("opt_out_date"),
        contact.get("deleted_at"),
    )
    return "|".join(str(p or "") for p in parts)


def put_body(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """The full PUT body: ``current`` as stored with ``changes`` laid over it.

    A PUT nulls every core field it does not carry and may reset consent, so the body always
    carries every core field and the freshest ``permission_to_send``; ``email_address`` in
    ``changes`` is merged key by key, other keys replace.
    """
    body: dict[str, Any] = {k: current[k] for k in CC_CORE_FIELDS if current.get(k) is not None}
    email = current.get("email_address") or {}
    body["email_address"] = {
        k: email[k] for k in ("address", "permission_to_send") if email.get(k) is not None
    }
    body.update(_sub_resources(current))
    for key, value in changes.items():
        if key == "email_address" and isinstance(value, Mapping):
            body["email_address"] = {**body["email_address"], **value}
        else:
            body[key] = value
    body.setdefault("update_source", "Account")
    return body


def _sub_resources(current: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if "phone_numbers" in current:
        out["phone_numbers"] = [_pick(p, _PHONE_KEYS) for p in current["phone_numbers"] or []]
    if "street_addresses" in current:
        out["street_addresses"] = [
            _pick(a, _ADDRESS_KEYS) for a in current["street_addresses"] or []
        ]
    if "custom_fields" in current:
        out["custom_fields"] = [
            _pick(c, ("custom_field_id", "value")) for c in current["custom_fields"] or []
        ]
    if "list_memberships" in current:
        out["list_memberships"] = list(current["list_memberships"] or [])
    return out


def _pick(item: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: item[k] for k in keys if item.get(k) is not None}


_CONTRACT_FIELDS = (
    FieldInfo("email_address.address", "Email", mandatory=True, max_length=80),
    FieldInfo("email_address.permission_to_send", "Permission to send"),
    FieldInfo("first_name", "First name", max_length=50),
    FieldInfo("last_name", "Last name", max_length=50),
    FieldInfo("job_title", "Job title", max_length=50),
    FieldInfo("company_name", "Company", max_length=50),
    FieldInfo("birthday_month", "Birthday month", type="integer"),
    FieldInfo("birthday_day", "Birthday day", type="integer"),
    FieldInfo("anniversary", "Anniversary", max_length=10, type="date"),
    FieldInfo("phone_numbers", "Phone numbers (≤3; home, work, mobile, other)", type="list"),
    FieldInfo("street_addresses", "Street addresses (≤3; home, work, other)", type="list"),
    FieldInfo("list_memberships", "Lists (≤50)", type="list"),
)


def schema_from(custom_fields: Sequence[Mapping[str, Any]]) -> Schema:
    """The contract's contact fields plus the account's custom fields (``cf:<name>``)."""
    fields = {f.name: f for f in _CONTRACT_FIELDS}
    for cf in custom_fields:
        name = f"cf:{cf.get('name') or cf.get('label')}"
        label = str(cf.get("label") or name)
        fields[name] = FieldInfo(
            name, label, max_length=255, custom=True, type=str(cf.get("type") or "string")
        )
    return Schema(fields=fields)
