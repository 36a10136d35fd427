"""A third connector, neither Vtiger nor Constant Contact: a CRM kept in memory (issue 12).

``MemoryCrm`` is the "server": its records (flat dicts of strings keyed by the CRM field names
of the mapping, as the CRM role reads and writes them), a change sequence, a clock that tests
move on, a request counter, and the actions of a person using the CRM directly (``person_*``,
not counted). ``MemoryConnector`` is the ``Connector`` over it, with no optional capability at all
(no bulk writes, no state after writes, every login sees everything), so the engine runs on
the bare contract. Register it as a provider to build it through the engine's factory::

    crm = MemoryCrm()
    register(Provider("memory", "crm", lambda ctx: MemoryConnector(crm)))

Change reads are resumable on the sequence: the state is ``{"seq": n}``; a read returns every
live record changed after ``n`` (once, as it is now) and the ids deleted after ``n``.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from ccsync.connectors.base import ChangeSet, FieldInfo, RemoteRecord, Schema, Side
from ccsync.errors import RecordNotFound, SkippableRecordError

# The fields this CRM has, with the characters each keeps (the CRM role's field names).
FIELDS: dict[str, int] = {
    "firstname": 40,
    "lastname": 80,
    "email": 100,
    "phone": 40,
    "mobile": 40,
    "homephone": 40,
    "title": 60,
    "account_id": 100,
    "birthday": 10,
    "emailoptout": 1,
    **{f"{kind}{part}": size for kind in ("mailing", "other") for part, size in (
        ("street", 200), ("city", 40), ("state", 40), ("zip", 20), ("country", 40)
    )},
}  # fmt: skip
MANDATORY = frozenset({"lastname"})


@dataclass(slots=True)
class _Stored:
    fields: dict[str, str]
    updated_at: datetime
    seq: int


@dataclass
class MemoryCrm:
    """The in-memory CRM: records, change sequence, clock and request counter.

    Attributes:
        now: the server's clock (aware UTC); ``advance`` moves it on.
        requests: API requests served so far (people's actions are not counted).
    """

    now: datetime = field(default_factory=lambda: datetime.now(UTC).replace(microsecond=0))
    requests: int = 0
    _records: dict[str, _Stored] = field(default_factory=dict)
    _deleted: dict[str, int] = field(default_factory=dict)  # id → seq of its deletion
    _seq: int = 0
    _ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def advance(self, seconds: float) -> None:
        """Move the clock on."""
        with self._lock:
            self.now += timedelta(seconds=seconds)

    # -- what a person does in the CRM itself ---------

    def person_create(self, **fields: str) -> str:
        """Someone adds a record in the CRM; returns its id."""
        with self._lock:
            return self._create(fields).id

    def person_edit(self, record_id: str, **fields: str) -> None:
        """Someone edits a record."""
        with self._lock:
            self._update(record_id, fields)

    def person_delete(self, record_id: str) -> None:
        """Someone deletes a record."""
        with self._lock:
            self._delete(record_id)

    def live(self) -> dict[str, dict[str, str]]:
        """Every live record's fields by id (a look at the server, not counted)."""
        with self._lock:
            return {i: dict(r.fields) for i, r in self._records.items()}

    # -- the API (each call counted) ---------

    def call(self, name: str, *args: Any) -> Any:
        """Serve one API request: ``create``, ``update``, ``delete``, ``get``, ``changes``."""
        with self._lock:
            self.requests += 1
            handler = getattr(self, f"_{name}")
            return handler(*args)

    def _changes(self, after: int | None) -> tuple[list[RemoteRecord], list[str], int]:
        live = [
            self._remote(i, r) for i, r in self._records.items() if after is None or r.seq > after
        ]
        live.sort(key=lambda r: (r.updated_at, r.id))
        gone = [i for i, seq in self._deleted.items() if after is not None and seq > after]
        return live, gone, self._seq

    def _get(self) -> list[RemoteRecord]:
        return [self._remote(i, r) for i, r in self._records.items()]

    def _create(self, fields: Mapping[str, Any]) -> RemoteRecord:
        values = _checked(fields)
        missing = [n for n in sorted(MANDATORY) if not values.get(n)]
        if missing:
            raise SkippableRecordError(f"missing_mandatory:{missing[0]}", f"{missing[0]} is empty")
        record_id = f"m-{next(self._ids)}"
        self._seq += 1
        self._records[record_id] = _Stored(values, self.now, self._seq)
        return self._remote(record_id, self._records[record_id])

    def _update(self, record_id: str, fields: Mapping[str, Any]) -> RemoteRecord:
        stored = self._records.get(record_id)
        if stored is None:
            raise RecordNotFound(f"memory record {record_id} is gone")
        values = {**stored.fields, **_checked(fields)}
        if any(not values.get(n) for n in MANDATORY):
            raise SkippableRecordError("missing_mandatory:lastname", "lastname is empty")
        self._seq += 1
        self._records[record_id] = _Stored(values, self.now, self._seq)
        return self._remote(record_id, self._records[record_id])

    def _delete(self, record_id: str) -> None:
        if self._records.pop(record_id, None) is not None:
            self._seq += 1
            self._deleted[record_id] = self._seq

    @staticmethod
    def _remote(record_id: str, stored: _Stored) -> RemoteRecord:
        return RemoteRecord(record_id, stored.updated_at, dict(stored.fields))


def _checked(fields: Mapping[str, Any]) -> dict[str, str]:
    """Values as the CRM keeps them (strings); unknown or over-long values are refused."""
    out = {}
    for name, value in fields.items():
        if name not in FIELDS:
            raise SkippableRecordError("unknown_field", f"the CRM has no field {name}")
        text = "" if value is None else str(value)
        if len(text) > FIELDS[name]:
            raise SkippableRecordError("value_too_long", f"{name} keeps {FIELDS[name]} characters")
        out[name] = text
    return out


class MemoryConnector:
    """The ``Connector`` of a ``MemoryCrm`` (side ``crm`` unless told otherwise)."""

    def __init__(self, server: MemoryCrm, side: Side = "crm") -> None:
        self.server = server
        self.side: Side = side
        self._calls = 0
        self.closed = False

    def _call(self, name: str, *args: Any) -> Any:
        self._calls += 1
        return self.server.call(name, *args)

    @property
    def calls(self) -> int:
        """Requests this connector made."""
        return self._calls

    def close(self) -> None:
        """Nothing to release; remembered for tests."""
        self.closed = True

    def schema(self) -> Schema:
        """The CRM's fields and their lengths (the schema is fixed: no call)."""
        infos = {
            name: FieldInfo(name, name.title(), mandatory=name in MANDATORY, max_length=size)
            for name, size in FIELDS.items()
        }
        return Schema(fields=infos)

    def read_changes(self, state: str | None) -> ChangeSet:
        """Live records changed after the state's sequence, and the ids deleted since."""
        before = self._calls
        after = _seq_of(state)
        records, deleted, seq = self._call("changes", after)
        return ChangeSet(
            records=records,
            next_state=json.dumps({"seq": seq}),
            deleted_ids=deleted,
            complete=after is None,
            calls=self._calls - before,
        )

    def read_all(self) -> Iterator[RemoteRecord]:
        """Every live record."""
        yield from self._call("get")

    def get_many(self, ids: Sequence[str]) -> list[RemoteRecord]:
        """The live records among ``ids``, in their order."""
        wanted = set(ids)
        found = {r.id: r for r in self._call("get") if r.id in wanted}
        return [found[i] for i in dict.fromkeys(ids) if i in found]

    def find_by_email(self, email: str) -> list[RemoteRecord]:
        """Live records whose email equals ``email``, ignoring case."""
        key = email.strip().casefold()
        if not key:
            return []
        return [r for r in self._call("get") if r.fields.get("email", "").casefold() == key]

    def create(self, fields: Mapping[str, Any]) -> RemoteRecord:
        """Create a record; returns it as stored."""
        record: RemoteRecord = self._call("create", fields)
        return record

    def update(self, record_id: str, fields: Mapping[str, Any]) -> RemoteRecord:
        """Write ``fields`` (``""`` clears one); returns the record as stored."""
        record: RemoteRecord = self._call("update", record_id, fields)
        return record

    def delete(self, record_id: str) -> None:
        """Delete a record; one that is gone already is fine."""
        self._call("delete", record_id)


def _seq_of(state: str | None) -> int | None:
    """The sequence of a stored state (None: a first run, or a state this CRM did not write)."""
    if not state:
        return None
    try:
        seq = json.loads(state).get("seq")
    except (ValueError, AttributeError):
        return None
    return seq if isinstance(seq, int) else None
