"""create / retrieve / update / revise / delete with the real server's checks and quirks."""

from __future__ import annotations

import json
import re
from typing import Any

from ccsync.emulators.vtiger.errors import (
    BAD_ID,
    DENIED,
    DENIED_ID,
    READ_DENIED,
    VtigerError,
    mandatory_missing,
)
from ccsync.emulators.vtiger.schema import (
    SERVER_SET,
    ModuleSchema,
    account_template,
    html_label,
    normalise_boolean,
    store_text,
)
from ccsync.emulators.vtiger.state import Record, Store, User, crmid_of

_WS_ID = re.compile(r"(\d+)x(\d+)")
DUPLICATE = VtigerError(0, "Duplicate(s) detected!")


def decode_element(raw: str | None) -> dict[str, Any]:
    """``element`` JSON; anything but an object decodes to nothing, as Zend_Json does."""
    try:
        value = json.loads(raw or "")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def render(store: Store, record: Record, user: User, label: bool = True) -> dict[str, str]:
    """A record as retrieve shows it (non-admins get keys in alphabetical order, as observed)."""
    schema = store.schemas[record.module]
    names = [n for n in schema.field_names() if n != "id"]
    if not user.is_admin:
        names.sort()
    out = {name: record.values.get(name, "") for name in names}
    if not user.is_admin and "starred" in out:
        out["starred"] = ""  # a per-user field: the lab's non-admin saw "" where admin saw "0"
    out["id"] = store.ws_id(record)
    if label:
        out["label"] = label_of(record)
    return out


def label_of(record: Record) -> str:
    """The html-encoded ``label`` (``firstname lastname`` or the account name)."""
    if record.module == "Accounts":
        return html_label(record.values.get("accountname", ""))
    name = f"{record.values.get('firstname', '')} {record.values.get('lastname', '')}"
    return html_label(name.strip())


def resolve(store: Store, ws_id: object, user: User) -> Record:
    """The live, visible record behind a webservice id, or the real server's error."""
    match = _WS_ID.fullmatch(str(ws_id or ""))
    module = store.module_of_prefix(match.group(1)) if match else None
    if match is None or module is None:
        raise VtigerError("ACCESS_DENIED", DENIED_ID)
    record = store.records.get(int(match.group(2)))
    if record is None or record.deleted:
        raise VtigerError("ACCESS_DENIED", DENIED)
    if record.module != module:
        raise VtigerError("INVALID_ID_ATTRIBUTE", BAD_ID)
    if not store.visible(record, user):
        raise VtigerError("ACCESS_DENIED", READ_DENIED)
    return record


def clean(schema: ModuleSchema, name: str, value: object) -> str:
    """A value as the database keeps it: booleans 0/1, emoji as ?, truncated to the column."""
    kind = schema.types().get(name, "string")
    if value is None:
        return ""
    if kind == "boolean":
        return normalise_boolean(value)
    if isinstance(value, bool):
        text = "1" if value else ""
    elif isinstance(value, str):
        text = value
    else:
        text = json.dumps(value) if isinstance(value, list | dict) else str(value)
    if name == "description" and "<script" in text.lower():
        # The only input sanitising observed: < > " encoded when a description holds <script.
        text = text.replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
    return store_text(text, schema.size(name))


def _writable(schema: ModuleSchema, element: dict[str, Any]) -> dict[str, str]:
    types = schema.types()
    return {
        k: clean(schema, k, v) for k, v in element.items() if k in types and k not in SERVER_SET
    }


def _check_references(store: Store, schema: ModuleSchema, values: dict[str, str]) -> None:
    for field in schema.fields():
        name, kind = field["name"], field["type"]["name"]
        value = values.get(name, "")
        if name in SERVER_SET or not value:
            continue
        if kind == "owner" and not store.owner_valid(value):
            raise VtigerError("ACCESS_DENIED", "Cannot assign record to the given user")
        if kind == "reference" and not _reference_ok(store, value, field["type"]["refersTo"]):
            raise VtigerError("REFERENCE_INVALID", f"Invalid reference specified for {name}")


def _reference_ok(store: Store, value: str, refers_to: list[str]) -> bool:
    prefix, _, _ = value.partition("x")
    module = store.module_of_prefix(prefix)
    return module in refers_to and store.live(crmid_of(value), module) is not None


def _check_duplicate(store: Store, module: str, values: dict[str, str], crmid: int) -> None:
    email = values.get("email", "").strip().lower()
    if not store.duplicate_prevention or module != "Contacts" or not email:
        return
    for other in store.records.values():
        if other.crmid == crmid or other.deleted or other.module != module:
            continue
        if other.values.get("email", "").strip().lower() == email:
            raise DUPLICATE


def _defaults(schema: ModuleSchema) -> dict[str, str]:
    types = schema.types()
    values = {n: ("0" if t == "boolean" else "") for n, t in types.items() if n != "id"}
    if schema.module == "Accounts":
        template = account_template()
        values.update({k: template[k] for k in ("employees", "annual_revenue")})
    return values


def create(
    store: Store, user: User, module: str, element: dict[str, Any], source: str = "WEBSERVICE"
) -> Record:
    """Create a record after the mandatory, reference and duplicate checks."""
    schema = store.schemas.get(module)
    if module == "Users":
        _refuse_user_create(element)
    if schema is None:
        raise VtigerError("ACCESS_DENIED", DENIED)
    for name in schema.mandatory():
        if element.get(name) in (None, ""):
            raise mandatory_missing(name)
    values = _defaults(schema)
    values.update(_writable(schema, element))
    _check_references(store, schema, values)
    _check_duplicate(store, module, values, 0)
    stamp = store.stamp()
    number = store.next_number(module)
    values.update(createdtime=stamp, modifiedtime=stamp, modifiedby=user.ws_id, source=source)
    values["contact_no" if module == "Contacts" else "account_no"] = number
    return store.insert(module, values)


def _refuse_user_create(element: dict[str, Any]) -> None:
    """Users create is unusable on 8.2: ``roleid`` is parsed as a reference and always fails."""
    if "x" in str(element.get("roleid", "")):
        raise VtigerError("REFERENCE_INVALID", "Invalid reference specified for roleid")
    raise VtigerError("ACCESS_DENIED", DENIED_ID)


def save(store: Store, user: User, record: Record, changes: dict[str, str]) -> Record:
    """Overlay ``changes`` onto a record and stamp it (every save bumps ``modifiedtime``)."""
    schema = store.schemas[record.module]
    merged = {**record.values, **changes}
    _check_references(store, schema, changes)
    _check_duplicate(store, record.module, merged, record.crmid)
    record.values.update(changes)
    store.touch(record, store.stamp(), user)
    return record


def update(store: Store, user: User, element: dict[str, Any]) -> Record:
    """``update``: every mandatory field must be in ``element`` with a value."""
    record = resolve(store, element.get("id"), user)
    schema = store.schemas[record.module]
    for name in schema.mandatory():
        if element.get(name) in (None, ""):
            raise mandatory_missing(name)
    return save(store, user, record, _writable(schema, element))


def revise(store: Store, user: User, element: dict[str, Any]) -> Record:
    """``revise``: only the fields sent change; a mandatory field sent empty fails."""
    record = resolve(store, element.get("id"), user)
    schema = store.schemas[record.module]
    for name in schema.mandatory():
        if name in element and element[name] in (None, ""):
            raise mandatory_missing(name)
    return save(store, user, record, _writable(schema, element))


def delete(store: Store, user: User, ws_id: object) -> dict[str, str]:
    """Soft delete: the row stays, flagged, with a new ``modifiedtime``."""
    record = resolve(store, ws_id, user)
    record.deleted = True
    store.touch(record, store.stamp(), user)
    return {"status": "successful"}


def restore(store: Store, user: User, record: Record) -> Record:
    """Recycle Bin restore: same id, values intact, new ``modifiedtime``."""
    record.deleted = False
    store.touch(record, store.stamp(), user)
    return record
