"""The contract every connector keeps, whatever API is behind it.

A connector speaks one remote API and hands back the records *as the server stores them*
(``RemoteRecord.fields`` is the native JSON object: a Vtiger record of strings, a Constant
Contact ``ContactResource``). Mapping to the canonical form is the engine's job; connectors
never import the engine.

Change reads are resumable: ``read_changes(state)`` takes the opaque state string that the
previous successful run stored and returns a ``ChangeSet`` whose ``next_state`` the engine
stores *only after* it has acknowledged every record of the set (applied, skipped with a
reason, or queued for retry). Passing ``None`` means "first run": the connector returns every
record in scope and builds whatever inventory it needs.

Example::

    changes = crm.read_changes(stored_state)
    for record in changes.records:
        ...                       # plan and apply
    store.save_state(changes.next_state)

All methods raise only the classes of ``ccsync.errors``. What a connector can do beyond this
contract (bulk writes, state after writes…) it says by implementing the small protocols of
``ccsync.connectors.capabilities``; providers are found by name in ``ccsync.connectors.registry``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Literal, Protocol, runtime_checkable

from ccsync.errors import SyncError

Side = Literal["crm", "cc"]
"""The two roles of a sync: ``crm`` (the CRM) and ``cc`` (the email-marketing platform)."""


@dataclass(frozen=True, slots=True)
class RemoteRecord:
    """One record as a provider returned it.

    Attributes:
        id: the provider's id (Vtiger webservice id ``12x345``; CC ``contact_id`` uuid).
        updated_at: the server's modification time as an aware UTC datetime.
        fields: the native record (never mutated by the caller).
        deleted: True when the provider reports the record as (soft-)deleted.
    """

    id: str
    updated_at: datetime
    fields: Mapping[str, Any]
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class ChangeSet:
    """What changed on one side since the state the engine passed in.

    Attributes:
        records: changed or created records in scope, each at most once, oldest first.
            Deleted records the provider still returns (CC soft deletes) have ``deleted=True``.
        deleted_ids: ids known to be deleted that are not in ``records``.
        out_of_scope_ids: ids that left the connector's scope (reassigned, hidden, off the
            scoped list): the engine unlinks them and never deletes their twin.
        next_state: opaque state to store once the set is acknowledged.
        complete: True when ``records`` is a full listing of the scope (first run, full scan).
        calls: remote requests this read cost.
    """

    records: list[RemoteRecord]
    next_state: str
    deleted_ids: list[str] = field(default_factory=list)
    out_of_scope_ids: list[str] = field(default_factory=list)
    complete: bool = False
    calls: int = 0


@dataclass(frozen=True, slots=True)
class FieldInfo:
    """What the target side says about one of its fields."""

    name: str
    label: str
    mandatory: bool = False
    max_length: int | None = None
    custom: bool = False
    type: str = "string"


@dataclass(frozen=True, slots=True)
class Schema:
    """The fields a side offers right now (Vtiger ``describe``; CC contract + custom fields).

    Attributes:
        fields: the described fields by name.
        id_prefix: the provider's id prefix (Vtiger's module prefix ``12``), if any.
        lengths: maximum lengths of fields the live description gives none for (a provider's
            documented defaults, e.g. the column sizes of a default Vtiger install).
    """

    fields: Mapping[str, FieldInfo]
    id_prefix: str = ""
    lengths: Mapping[str, int] = field(default_factory=dict)

    @property
    def mandatory(self) -> list[str]:
        """Names of the mandatory fields."""
        return [f.name for f in self.fields.values() if f.mandatory]

    def max_length(self, name: str) -> int | None:
        """The most characters field ``name`` keeps (None: no known limit)."""
        info = self.fields.get(name)
        if info is not None and info.max_length:
            return info.max_length
        return self.lengths.get(name)


WriteResult = RemoteRecord | SyncError
"""The outcome of one write of a batch: the stored record, or the error that refused it."""
OnResult = Callable[[int, WriteResult], None]
"""Called in the caller's thread with (item index, outcome) as each write of a batch finishes."""


@dataclass(frozen=True, slots=True)
class AccountSummary:
    """The remote account a connector is signed in to: ``id`` (CC's ``encoded_account_id``)
    and ``label``, e.g. ``"Acme Inc (owner@acme.example)"`` ("" when the summary names nothing)."""

    id: str
    label: str


class DailyBudget(Protocol):
    """A per-day call counter shared by every connector of one API application."""

    def spend(self, key: str, day: date, n: int = 1) -> int:
        """Add ``n`` calls to ``day`` for ``key``; returns the day's total after adding."""
        ...

    def spent(self, key: str, day: date) -> int:
        """Calls counted for ``key`` on ``day``."""
        ...


@runtime_checkable
class Connector(Protocol):
    """One side of a sync. Every connector passes the same contract suite (tests/contract)."""

    side: Side

    def schema(self) -> Schema:
        """The side's fields (cached; re-read daily or after a schema failure)."""
        ...

    def read_changes(self, state: str | None) -> ChangeSet:
        """Records changed since ``state`` (all records in scope when ``state`` is None)."""
        ...

    def read_all(self) -> Iterator[RemoteRecord]:
        """Every record in scope, deleted twins included where the provider keeps them."""
        ...

    def get_many(self, ids: Sequence[str]) -> list[RemoteRecord]:
        """Fresh reads of ``ids``; ids that are gone are simply absent from the result."""
        ...

    def find_by_email(self, email: str) -> list[RemoteRecord]:
        """Records in scope whose primary email equals ``email`` (case-insensitively)."""
        ...

    def create(self, fields: Mapping[str, Any]) -> RemoteRecord:
        """Create a record from native ``fields``; returns it as the server stored it."""
        ...

    def update(self, record_id: str, fields: Mapping[str, Any]) -> RemoteRecord:
        """Write native ``fields`` to ``record_id``; returns the record as stored."""
        ...

    def delete(self, record_id: str) -> None:
        """Delete ``record_id`` (soft where the provider is soft); gone already is fine."""
        ...

    @property
    def calls(self) -> int:
        """Remote requests made by this connector instance so far (tokens/login included)."""
        ...

    def close(self) -> None:
        """Release what the connector holds (HTTP clients, lock files); it is not used again."""
        ...
