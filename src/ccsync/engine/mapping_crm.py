"""Vtiger record ⇄ canonical form.

Vtiger returns every value as a string (``""`` when empty, booleans ``"0"``/``"1"``, dates
``YYYY-MM-DD``). ``account_id`` reaches the mapping as the organisation *name*: the Vtiger
connector shows names and links a written name to its organisation (``connectors/vtiger/accounts``).
"""

from __future__ import annotations

from collections.abc import Mapping

from ccsync.domain.contact import Canonical
from ccsync.domain.normalize import clean
from ccsync.engine.mapping_rows import FieldMapping, MappingRow

_TRUE = frozenset({"1", "true", "on", "yes"})


def optout_flag(raw: object) -> str:
    """Vtiger's Email Opt Out as ``"1"`` or ``"0"`` (Vtiger itself reads ``"yes"`` as 0)."""
    text = clean(raw).lower()
    return "1" if text in _TRUE and text != "yes" else "0"


def birthday_mmdd(raw: str) -> str:
    """``YYYY-MM-DD`` → ``MM-DD`` (the year stays in the CRM); anything else → ``""``."""
    parts = raw.split("-")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        return ""
    month, day = int(parts[1]), int(parts[2])
    return f"{month:02d}-{day:02d}" if 1 <= month <= 12 and 1 <= day <= 31 else ""


def _crm_value(row: MappingRow, record: Mapping[str, str]) -> str:
    raw = record.get(row.crm_field)
    if row.transform == "optout":
        return optout_flag(raw)
    if row.transform == "birthday":
        return birthday_mmdd(clean(raw))
    return clean(raw)


def crm_to_canonical(record: Mapping[str, str], mapping: FieldMapping) -> Canonical:
    """A Vtiger record (strings, as the server returned it) → canonical form.

    Args:
        record: the Vtiger fields; ``account_id`` already resolved to the organisation name.
        mapping: the field mapping.

    Returns:
        One value per mapping row (``emailoptout`` included when consent is mapped).
    """
    return {row.crm_field: _crm_value(row, record) for row in mapping.rows}


def _writable(mapping: FieldMapping) -> list[str]:
    return [r.crm_field for r in mapping.rows if r.to_crm]


def canonical_to_crm_revise(
    new: Mapping[str, str], old: Mapping[str, str] | None, mapping: FieldMapping
) -> dict[str, str]:
    """The fields of a Vtiger ``revise`` that turns ``old`` into ``new``.

    Args:
        new: the canonical values to have in Vtiger.
        old: the canonical form Vtiger has now (None: unknown, send every value of ``new``).
        mapping: the field mapping; only fields that may flow into Vtiger are sent.

    Returns:
        Only the changed fields; ``""`` clears a field; ``emailoptout`` as ``"0"``/``"1"``.
    """
    out: dict[str, str] = {}
    for name in _writable(mapping):
        if name not in new:
            continue
        target = new[name]
        if old is None or not mapping.equal(name, old.get(name, ""), target):
            out[name] = optout_flag(target) if name == "emailoptout" else target
    return out


def canonical_to_crm_create(
    new: Mapping[str, str], mapping: FieldMapping, assigned_user_id: str | None = None
) -> dict[str, str]:
    """The fields of a Vtiger ``create`` for ``new`` (non-empty values only).

    Args:
        new: the canonical contact.
        mapping: the field mapping.
        assigned_user_id: the Vtiger user (``19x5``) to assign the contact to; None leaves it
            to the connector (the Vtiger connector assigns its own user on every create).
    """
    out = {n: new[n] for n in _writable(mapping) if new.get(n)}
    if "emailoptout" in out or any(r.kind == "consent" for r in mapping.rows):
        out["emailoptout"] = optout_flag(new.get("emailoptout", "0"))
    if assigned_user_id is not None:
        out["assigned_user_id"] = assigned_user_id
    return out
