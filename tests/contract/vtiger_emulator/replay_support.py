"""Machinery of the fixture replay: the lab world, id mapping, and shape comparison.

The real exchanges referenced records that existed in the lab. Before replaying a file, the
replayer recreates every record the file refers to (with the field values and ``modifiedtime``
the fixtures show for it, oldest crmid first so ids keep their order), maps fixture crmids to
emulator crmids in every request, and learns new mappings from create answers.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any

try:  # the test tree is importable as ``tests`` or (rootdir-relative) as its sub-packages
    from tests.support.paths import VTIGER_FIXTURES, VTIGER_REFERENCE
except ImportError:  # pragma: no cover - depends on how pytest was invoked
    from support.paths import VTIGER_FIXTURES, VTIGER_REFERENCE  # type: ignore[no-redef]

FIXTURES = VTIGER_FIXTURES
__all__ = ["FIXTURES", "VTIGER_REFERENCE"]
LAB_START = "2026-11-26 20:39:50"
_REF = re.compile(r"\b(\d+)x(\d+)\b")
_RECORD_ID = re.compile(r"^1[12]x\d+$")
RECORD_PREFIXES = ("11", "12", "999")
NONEXISTENT = 100000  # crmids at or above this never existed in the lab (12x999999)
SERVER_SET = {"id", "label", "contact_no", "account_no", "createdtime", "modifiedtime"}
SERVER_SET |= {"modifiedby", "source"}


def load(name: str) -> dict[str, Any]:
    """A fixture file."""
    data: dict[str, Any] = json.loads((FIXTURES / name).read_text())
    return data


def exchanges(name: str) -> list[tuple[str, dict[str, Any]]]:
    """The (name, exchange) pairs of a fixture file in file order."""
    data = load(name)
    if "examples" in data:
        return list(data["examples"].items())
    if "request" in data:
        return [(name.removesuffix(".json"), data)]
    return []


def iso(stamp: str) -> str:
    """A Vtiger datetime as an ISO instant in UTC (for the clock control)."""
    return datetime.strptime(stamp, "%Y-%m-%d %H:%M:%S").isoformat() + "+00:00"


def walk_records(value: Any) -> Iterator[dict[str, Any]]:
    """Every dict with a record ``id`` inside a JSON value (also [id, modifiedtime] pairs)."""
    if isinstance(value, dict):
        if isinstance(value.get("id"), str) and _RECORD_ID.match(value["id"]):
            yield value
        for item in value.values():
            yield from walk_records(item)
    elif isinstance(value, list):
        is_pair = len(value) == 2 and all(isinstance(v, str) for v in value)
        if is_pair and _RECORD_ID.match(value[0]) and re.match(r"\d{4}-", value[1]):
            yield {"id": value[0], "modifiedtime": value[1]}
        else:
            for item in value:
                yield from walk_records(item)


def merge_records(sources: list[Any]) -> dict[int, dict[str, Any]]:
    """crmid → fields seen for it (first value seen wins for each field)."""
    catalog: dict[int, dict[str, Any]] = {}
    for source in sources:
        for record in walk_records(source):
            crmid = int(record["id"].partition("x")[2])
            entry = catalog.setdefault(crmid, {"id": record["id"]})
            for key, value in record.items():
                entry.setdefault(key, value)
    return catalog


def global_catalog() -> dict[int, dict[str, Any]]:
    """What every fixture file says about each record."""
    return merge_records([load(p.name) for p in sorted(FIXTURES.glob("*.json"))])


def referenced(value: Any) -> set[int]:
    """crmids of Contacts/Accounts ids mentioned anywhere in a JSON value."""
    text = json.dumps(value)
    found = {int(m.group(2)) for m in _REF.finditer(text) if m.group(1) in RECORD_PREFIXES}
    return {n for n in found if n < NONEXISTENT}


def created_in(exchange: dict[str, Any]) -> int | None:
    """The crmid a create exchange produced, if it is one."""
    params = exchange.get("request", {}).get("params", {})
    body = exchange.get("response", {}).get("body")
    if params.get("operation") != "create" or not isinstance(body, dict):
        return None
    result = body.get("result") or {}
    ws_id = result.get("id", "") if isinstance(result, dict) else ""
    return int(ws_id.partition("x")[2]) if ws_id else None


def world_ids(pairs: list[tuple[str, dict[str, Any]]], extra: Any = None) -> set[int]:
    """crmids a file needs before it starts: referenced before any create makes them."""
    needed: set[int] = referenced(extra) if extra is not None else set()
    made: set[int] = set()
    for _, exchange in pairs:
        mine = created_in(exchange)
        refs = referenced(exchange.get("request")) | referenced(exchange.get("response"))
        refs |= referenced({k: v for k, v in exchange.items() if k not in ("request", "response")})
        for crmid in refs:
            if crmid == mine and crmid not in needed:
                made.add(crmid)
            elif crmid not in made:
                needed.add(crmid)
    return needed


class IdMap:
    """Fixture crmid ↔ emulator crmid, applied to every id inside request parameters."""

    def __init__(self) -> None:
        self.forward: dict[int, int] = {}

    def learn(self, fixture_id: str, emulator_id: str) -> None:
        """Remember that a fixture id is this emulator id (first mapping wins)."""
        self.forward.setdefault(_crmid(fixture_id), _crmid(emulator_id))

    def apply(self, text: str) -> str:
        """Rewrite every ``NxM`` whose M is known."""

        def swap(match: re.Match[str]) -> str:
            if match.group(1) not in RECORD_PREFIXES:
                return match.group(0)  # user ids (19x…) are the same in the lab and here
            crmid = int(match.group(2))
            return f"{match.group(1)}x{self.forward.get(crmid, crmid)}"

        return _REF.sub(swap, text)

    def back(self, emulator_id: str) -> str:
        """The fixture id of an emulator id (for comparing id lists)."""
        prefix, _, tail = emulator_id.partition("x")
        reverse = {v: k for k, v in self.forward.items()}
        return f"{prefix}x{reverse.get(int(tail), int(tail))}"


def _crmid(ws_id: str) -> int:
    return int(ws_id.partition("x")[2])


def writable(record: dict[str, Any]) -> dict[str, Any]:
    """The fields of a catalog record that a create may send."""
    return {k: v for k, v in record.items() if k not in SERVER_SET and not k.startswith("_")}


def shape_diff(expected: Any, actual: Any, path: str = "$") -> list[str]:
    """Differences in shape: keys, value types, list emptiness; error code and message exactly."""
    if isinstance(expected, dict):
        return _dict_diff(expected, actual, path)
    if isinstance(expected, list):
        return _list_diff(expected, actual, path)
    if isinstance(expected, bool):
        return [] if actual is expected else [f"{path}: expected {expected}, got {actual!r}"]
    if expected is None:
        return [] if actual is None else [f"{path}: expected null, got {actual!r}"]
    if type(actual) is not type(expected):
        return [f"{path}: expected {type(expected).__name__}, got {actual!r}"]
    return []


def _dict_diff(expected: dict[str, Any], actual: Any, path: str) -> list[str]:
    if not isinstance(actual, dict):
        return [f"{path}: expected an object, got {actual!r}"]
    if path.endswith(".error"):
        return [] if actual == expected else [f"{path}: expected {expected}, got {actual}"]
    if set(expected) != set(actual):
        missing, extra = set(expected) - set(actual), set(actual) - set(expected)
        return [f"{path}: keys differ, missing {sorted(missing)}, extra {sorted(extra)}"]
    out: list[str] = []
    for key, value in expected.items():
        out += shape_diff(value, actual[key], f"{path}.{key}")
    return out


def _list_diff(expected: list[Any], actual: Any, path: str) -> list[str]:
    if not isinstance(actual, list):
        return [f"{path}: expected a list, got {actual!r}"]
    truncated = any(isinstance(e, dict) and "_truncated_in_fixture" in e for e in expected)
    rows = [e for e in expected if not (isinstance(e, dict) and "_truncated_in_fixture" in e)]
    if not rows:
        return [] if not actual else [f"{path}: expected [], got {len(actual)} rows"]
    if not actual:
        return [f"{path}: expected {len(rows)} rows, got []"]
    if len(rows) == len(actual) and not truncated:
        pairs = zip(rows, actual, strict=True)
        return [d for i, (e, a) in enumerate(pairs) for d in shape_diff(e, a, f"{path}[{i}]")]
    return [d for i, a in enumerate(actual) for d in shape_diff(rows[0], a, f"{path}[{i}]")]
