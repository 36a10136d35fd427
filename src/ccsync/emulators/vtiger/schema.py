"""Module metadata: the describe answers of a default Vtiger 8.2 install plus runtime changes.

The describe/listtypes bodies are the real server's (``data/metadata.json``, copied from the
fixtures); column sizes come from the install's schema (reference section 8).
"""

from __future__ import annotations

import copy
import html
import json
from dataclasses import dataclass, field
from functools import cache
from html.entities import codepoint2name
from importlib import resources
from typing import Any

from ccsync.emulators.vtiger import fieldtypes

USERS_PREFIX = "19"
GROUPS_PREFIX = "20"
BOOLEAN_TRUE = {"1", "true", "on"}

COLUMN_SIZES: dict[str, int] = {
    "lastname": 80,
    "salutationtype": 200,
    "firstname": 40,
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
    "accountname": 100,
    "email1": 100,
    "email2": 100,
    "website": 100,
}
SERVER_SET = {"id", "contact_no", "account_no", "createdtime", "modifiedtime", "modifiedby"}
SERVER_SET |= {"source", "label"}


@cache
def _metadata() -> dict[str, Any]:
    text = resources.files("ccsync.emulators.vtiger").joinpath("data/metadata.json").read_text()
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def listtypes(is_admin: bool, field_type_list: str | None = None) -> dict[str, Any]:
    """The listtypes result; non-admins do not see ``Users`` (fixture: 34 vs 35 types).

    With a ``fieldTypeList`` only the modules having a field of one of those types remain;
    the non-module types (``Groups``, ``Currency`` …) are dropped (``ModuleTypes.php``).
    """
    result = copy.deepcopy(_metadata()["listtypes"])
    if not is_admin:
        result["types"] = [t for t in result["types"] if t != "Users"]
        result["information"].pop("Users", None)
    wanted = fieldtypes.requested_types(field_type_list)
    if wanted is not None:
        result["types"] = fieldtypes.modules_with(result["types"], wanted)
        result["information"] = {t: result["information"][t] for t in result["types"]}
    return dict(result)


def account_template() -> dict[str, str]:
    """Default values of a new Accounts record (from the real create answer)."""
    return dict(_metadata()["account_template"])


def html_label(text: str) -> str:
    """PHP ``htmlentities(html_entity_decode(text), ENT_QUOTES)`` as Vtiger does for ``label``."""
    out = []
    for char in html.unescape(text):
        if char == "'":
            out.append("&#039;")
        elif ord(char) in codepoint2name:
            out.append(f"&{codepoint2name[ord(char)]};")
        else:
            out.append(char)
    return "".join(out)


def store_text(value: str, size: int | None) -> str:
    """What a utf8mb3 column keeps: 4-byte characters become one ``?`` per byte, then truncation."""
    if any(ord(c) > 0xFFFF for c in value):
        value = "".join("????" if ord(c) > 0xFFFF else c for c in value)
    return value[:size] if size is not None else value


def normalise_boolean(value: object) -> str:
    """Vtiger's boolean input rule: true/1/"1"/"on" mean "1", anything else "0"."""
    if value is True:
        return "1"
    return "1" if str(value).strip().lower() in BOOLEAN_TRUE else "0"


@dataclass
class CustomField:
    """A field added in the layout editor."""

    name: str
    label: str
    type: str = "string"
    length: int = 255


@dataclass
class ModuleSchema:
    """Fields of one module as describe shows them, plus what admins changed at runtime."""

    module: str
    prefix: str
    custom: list[CustomField] = field(default_factory=list)
    mandatory_extra: set[str] = field(default_factory=set)
    mandatory_removed: set[str] = field(default_factory=set)
    _fields: list[dict[str, Any]] | None = field(default=None, repr=False, compare=False)
    _names: tuple[str, ...] | None = field(default=None, repr=False, compare=False)
    _types: dict[str, str] | None = field(default=None, repr=False, compare=False)

    def base(self) -> dict[str, Any]:
        """The describe body of the default install."""
        result: dict[str, Any] = _metadata()[f"describe_{self.module}"]
        return result

    def fields(self) -> list[dict[str, Any]]:
        """Field entries in describe order (custom fields sit after ``tags``); do not mutate."""
        if self._fields is None:
            self._fields = self._build_fields()
        return self._fields

    def _build_fields(self) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        for entry in self.base()["fields"]:
            out.append(self._effective(entry))
            if entry["name"] == "tags":
                out.extend(self._custom_entry(cf) for cf in self.custom)
        return out

    def _effective(self, entry: dict[str, Any]) -> dict[str, Any]:
        entry = copy.deepcopy(entry)
        if entry["name"] in self.mandatory_extra:
            entry["mandatory"] = True
        if entry["name"] in self.mandatory_removed:
            entry["mandatory"] = False
        return entry

    def _custom_entry(self, cf: CustomField) -> dict[str, Any]:
        entry: dict[str, Any] = {
            "name": cf.name,
            "label": cf.label,
            "mandatory": cf.name in self.mandatory_extra,
            "type": {"name": cf.type},
            "isunique": False,
            "nullable": True,
            "editable": True,
            "default": "",
        }
        return entry

    def field_names(self) -> tuple[str, ...]:
        """Names in record order (``id`` last)."""
        if self._names is None:
            self._names = tuple(f["name"] for f in self.fields())
        return self._names

    def types(self) -> dict[str, str]:
        """Field name → webservice type name."""
        if self._types is None:
            self._types = {f["name"]: f["type"]["name"] for f in self.fields()}
        return self._types

    def changed(self) -> None:
        """Forget cached field lists after a layout change."""
        self._fields = None
        self._names = None
        self._types = None

    def mandatory(self) -> list[str]:
        """Mandatory field names in describe order."""
        return [f["name"] for f in self.fields() if f.get("mandatory")]

    def size(self, name: str) -> int | None:
        """Column size of a field (None = unbounded)."""
        for cf in self.custom:
            if cf.name == name:
                return cf.length
        return COLUMN_SIZES.get(name)

    def describe(self, is_admin: bool) -> dict[str, Any]:
        """The describe result; non-admins get fields in alphabetical order (as observed)."""
        result = {k: v for k, v in self.base().items() if k != "fields"}
        fields = self.fields()
        if not is_admin:
            fields = sorted(fields, key=lambda f: str(f["name"]))
        result["fields"] = copy.deepcopy(fields)
        result["idPrefix"] = self.prefix
        return result
