"""Layout editor actions: custom fields and mandatory flags on Contacts."""

from __future__ import annotations

from ccsync.emulators.vtiger.schema import CustomField
from ccsync.emulators.vtiger.state import Store

FIELD_TYPES = {"string", "text", "email", "phone", "date", "boolean", "url", "integer"}


def add_field(store: Store, label: str, kind: str = "string", length: int = 255) -> str:
    """Add a custom field ``cf_<fieldid>``; existing records read it as ``""``."""
    schema = store.schemas["Contacts"]
    name = f"cf_{store.next_field_id}"
    store.next_field_id += 1
    kind = kind if kind in FIELD_TYPES else "string"
    schema.custom.append(CustomField(name, label, kind, max(1, min(length, 65535))))
    schema.changed()
    for record in store.records.values():
        if record.module == "Contacts":
            record.values.setdefault(name, "0" if kind == "boolean" else "")
    return name


def set_mandatory(store: Store, name: str, mandatory: bool) -> bool:
    """Make a Contacts field mandatory or optional; False if there is no such field."""
    schema = store.schemas["Contacts"]
    if name not in schema.types() or name == "id":
        return False
    base = {f["name"] for f in schema.base()["fields"] if f.get("mandatory")}
    schema.mandatory_extra.discard(name)
    schema.mandatory_removed.discard(name)
    if mandatory and name not in base:
        schema.mandatory_extra.add(name)
    if not mandatory and name in base:
        schema.mandatory_removed.add(name)
    schema.changed()
    return True
