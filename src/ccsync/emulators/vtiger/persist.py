"""The ``--state-file``: records, layout, settings and sessions as one JSON document."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from ccsync.emulators.vtiger.schema import CustomField
from ccsync.emulators.vtiger.state import Challenge, Record, Session, Store, User

VERSION = 1


def dump(store: Store) -> dict[str, Any]:
    """Everything that must survive a restart (the caller holds the lock)."""
    return {
        "version": VERSION,
        "users": [_user(u) for u in store.users.values()],
        "records": [[r.crmid, r.module, r.deleted, r.values] for r in store.records.values()],
        "next_crmid": store.next_crmid,
        "next_no": store.next_no,
        "next_field_id": store.next_field_id,
        "duplicate_prevention": store.duplicate_prevention,
        "schemas": {m: _schema(s) for m, s in store.schemas.items()},
        "sessions": {k: [s.user, s.last_used] for k, s in store.sessions.items()},
        "challenges": {k: [c.token, c.expires] for k, c in store.challenges.items()},
    }


def _user(user: User) -> dict[str, Any]:
    return {
        "name": user.name,
        "access_key": user.access_key,
        "is_admin": user.is_admin,
        "number": user.number,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


def _schema(schema: Any) -> dict[str, Any]:
    return {
        "custom": [vars(cf) for cf in schema.custom],
        "mandatory_extra": sorted(schema.mandatory_extra),
        "mandatory_removed": sorted(schema.mandatory_removed),
    }


def write(path: Path, data: dict[str, Any]) -> None:
    """Write atomically (temp file + rename) so a crash never leaves half a file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False))
    os.replace(tmp, path)


def load(store: Store, path: Path) -> None:
    """Fill an empty store from a state file."""
    data = json.loads(path.read_text())
    for entry in data["users"]:
        store.users[entry["name"]] = User(**entry)
    for crmid, module, deleted, values in sorted(data["records"]):
        record = Record(crmid, module, values, deleted)
        store.records[crmid] = record
        store.ids[module].append(crmid)
        store.by_mtime[module].append((values["modifiedtime"], crmid))
    for index in store.by_mtime.values():
        index.sort()
    store.next_crmid = data["next_crmid"]
    store.next_no = data["next_no"]
    store.next_field_id = data["next_field_id"]
    store.duplicate_prevention = data["duplicate_prevention"]
    for module, saved in data["schemas"].items():
        schema = store.schemas[module]
        schema.custom = [CustomField(**cf) for cf in saved["custom"]]
        schema.mandatory_extra = set(saved["mandatory_extra"])
        schema.mandatory_removed = set(saved["mandatory_removed"])
        schema.changed()
    store.sessions = {k: Session(u, t) for k, (u, t) in data["sessions"].items()}
    store.challenges = {k: Challenge(t, e) for k, (t, e) in data["challenges"].items()}
