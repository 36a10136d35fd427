"""The Contacts schema from ``describe``, cached, and client-side write validation.

``describe`` gives names, labels, mandatory flags, types and the install's id prefix but no
column sizes, and Vtiger silently truncates over-long values; the sizes below are the columns of
a default 8.2 install (reference §8). Custom fields take ``type.length`` when the server sends it.
The cache lives in the state directory so a quiet run needs no ``describe`` call; it is re-read
daily and after a write fails for schema reasons.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ccsync.connectors.base import FieldInfo, Schema
from ccsync.errors import SkippableRecordError

MODULE = "Contacts"
SCHEMA_TTL = 86400.0
OWNER_FIELD = "assigned_user_id"
READ_ONLY = frozenset(
    {"id", "createdtime", "modifiedtime", "modifiedby", "contact_no", "label", "source"}
)

COLUMN_SIZES: Mapping[str, int] = {
    "lastname": 80,
    "firstname": 40,
    "salutationtype": 200,
    "contact_no": 100,
    "email": 100,
    "secondaryemail": 100,
    "phone": 50,
    "mobile": 50,
    "homephone": 50,
    "otherphone": 50,
    "fax": 50,
    "assistant": 30,
    "assistantphone": 50,
    "title": 50,
    "department": 30,
    "leadsource": 200,
    "mailingstreet": 250,
    "otherstreet": 250,
    "mailingcity": 40,
    "othercity": 40,
    "mailingstate": 30,
    "otherstate": 50,
    "mailingzip": 30,
    "otherzip": 30,
    "mailingcountry": 40,
    "othercountry": 30,
    "mailingpobox": 30,
    "otherpobox": 30,
    "emailoptout": 3,
    "donotcall": 3,
    "reference": 3,
    "notify_owner": 3,
    "portal": 3,
}


def stored_length(value: str) -> int:
    """Characters the server keeps for ``value``.

    Vtiger 8's tables are utf8mb3: every 4-byte character (emoji) is stored as one ``?`` per
    byte, so it takes four characters of the column.
    """
    return sum(4 if ord(ch) > 0xFFFF else 1 for ch in value)


def schema_from_describe(describe: Mapping[str, Any]) -> Schema:
    """A ``Schema`` from a ``describe`` result."""
    fields: dict[str, FieldInfo] = {}
    for raw in describe.get("fields", []):
        if not isinstance(raw, dict) or "name" not in raw:
            continue
        fields[str(raw["name"])] = _field_info(raw)
    prefix = str(describe.get("idPrefix", ""))
    return Schema(fields=fields, id_prefix=prefix, lengths=COLUMN_SIZES)


def _field_info(raw: Mapping[str, Any]) -> FieldInfo:
    name = str(raw["name"])
    type_info = raw.get("type") if isinstance(raw.get("type"), dict) else {}
    length = _int(type_info.get("length")) if type_info else None
    return FieldInfo(
        name=name,
        label=str(raw.get("label", name)),
        mandatory=bool(raw.get("mandatory")),
        max_length=length or COLUMN_SIZES.get(name),
        custom=name.startswith("cf_"),
        type=str(type_info.get("name", "string")) if type_info else "string",
    )


def _int(value: Any) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


class SchemaCache:
    """``describe Contacts``, kept in memory and in ``path`` for ``ttl`` seconds."""

    def __init__(
        self,
        fetch: Callable[[], dict[str, Any]],
        path: Path | None,
        *,
        ttl: float = SCHEMA_TTL,
    ) -> None:
        self._fetch = fetch
        self._path = path
        self._ttl = ttl
        self._lock = threading.Lock()
        self._schema: Schema | None = None
        self._loaded_at = 0.0

    def get(self) -> Schema:
        """The cached schema, read from the server when missing or stale."""
        with self._lock:
            if self._schema is None or time.time() - self._loaded_at > self._ttl:
                self._schema, self._loaded_at = self._load()
            return self._schema

    def invalidate(self) -> None:
        """Forget the schema (a write failed for schema reasons)."""
        with self._lock:
            self._schema = None
            if self._path is not None:
                self._path.unlink(missing_ok=True)

    def _load(self) -> tuple[Schema, float]:
        cached = self._read_file()
        if cached is not None:
            return cached
        describe = self._fetch()
        now = time.time()
        if self._path is not None:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            self._path.write_text(json.dumps({"at": now, "describe": describe}))
        return schema_from_describe(describe), now

    def _read_file(self) -> tuple[Schema, float] | None:
        if self._path is None or not self._path.exists():
            return None
        try:
            data = json.loads(self._path.read_text())
            at = float(data["at"])
            describe = data["describe"]
        except (ValueError, KeyError, TypeError):
            return None
        if time.time() - at > self._ttl or not isinstance(describe, dict):
            return None
        return schema_from_describe(describe), at


def prepare_write(fields: Mapping[str, Any], schema: Schema, *, creating: bool) -> dict[str, str]:
    """The element to send: writable fields as strings, checked against ``schema``.

    Raises:
        SkippableRecordError: ``missing_mandatory``, ``value_too_long`` or ``unknown_field``.
    """
    element: dict[str, str] = {}
    for name, value in fields.items():
        if name in READ_ONLY:
            continue
        info = schema.fields.get(name)
        if info is None:
            raise SkippableRecordError("unknown_field", f"Vtiger Contacts has no field {name}")
        text = _as_text(value)
        _check_length(info, text)
        element[name] = text
    _check_mandatory(element, schema, creating=creating)
    return element


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _check_length(info: FieldInfo, text: str) -> None:
    if info.max_length is None:
        return
    length = stored_length(text)
    if length > info.max_length:
        raise SkippableRecordError(
            "value_too_long",
            f"{info.name} is {length} characters; Vtiger keeps {info.max_length}",
        )


def _check_mandatory(element: Mapping[str, str], schema: Schema, *, creating: bool) -> None:
    for name in schema.mandatory:
        if creating and name not in element:
            missing = True
        else:
            missing = name in element and element[name] == ""
        if missing:
            raise SkippableRecordError(
                "missing_mandatory", f"{name} is mandatory in Vtiger and has no value"
            )
