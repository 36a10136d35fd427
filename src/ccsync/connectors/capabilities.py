"""What a connector may do beyond the ``Connector`` contract, one small protocol each.

The engine asks with ``isinstance`` (the protocols are ``runtime_checkable``; their members are
methods, so a check never calls the remote side) and falls back to the contract's one-record
methods when a connector lacks a capability:

=====================  =========================================================================
``BulkWrites``         ``create_many`` / ``update_many``, several at a time (else one by one)
``BulkImport``         an import job for many creates, read back afterwards (else ``create``)
``BulkDelete``         one job deleting many records (else ``delete`` each)
``StateAfterWrites``   the change-read state told what the run itself wrote (else stored as read)
``HiddenRecords``      records the login may not see look deleted (else a missing record is gone)
``TargetList``         a named list the synced contacts belong to (else no list membership)
``ScopeFilter``        which records read by id lie outside the synced scope (else none)
``FullReplace``        write a full record body as is (else ``update``)
``ServerClock``        the server's clock offset and time zone, checked on the first write
``AccountInfo``        the remote account signed in to (Sign In records it)
=====================  =========================================================================

Example::

    if isinstance(crm, BulkWrites):
        crm.create_many(items, each)
    else:
        for item in items:
            crm.create(item)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable

from ccsync.connectors.base import AccountSummary, OnResult, RemoteRecord, WriteResult


@dataclass(frozen=True, slots=True)
class WrittenIds:
    """What a run wrote to one side: ids it created, deleted, and wrote (or tried to)."""

    created: Sequence[str] = ()
    deleted: Sequence[str] = ()
    touched: Sequence[str] = ()


class HasErrors(Protocol):
    """A bulk job's result: anything with ``errors`` (CC's ``ImportResult``)."""

    @property
    def errors(self) -> list[str]:
        """Error texts of the job (empty: it went through)."""
        ...


@runtime_checkable
class BulkWrites(Protocol):
    """Creates and updates of many records, several at a time."""

    def write_concurrency(self) -> int:
        """How many writes may run at once."""
        ...

    def create_many(
        self, items: Sequence[Mapping[str, Any]], each: OnResult | None = None
    ) -> list[WriteResult]:
        """Create ``items``; ``each`` hears every outcome as soon as it is known; a
        ``FatalError`` is raised once every write has finished."""
        ...

    def update_many(
        self, items: Sequence[tuple[str, Mapping[str, Any]]], each: OnResult | None = None
    ) -> list[WriteResult]:
        """Update ``(id, fields)`` items (see ``create_many``)."""
        ...


@runtime_checkable
class BulkImport(Protocol):
    """An import job for many new records, linked afterwards from a read-back."""

    def import_contacts(self, rows: list[dict[str, Any]], list_ids: list[str]) -> HasErrors:
        """Import ``rows`` (the provider's import shape) into ``list_ids``."""
        ...

    def read_created_after(self, list_id: str, after: datetime) -> Iterator[RemoteRecord]:
        """Records in scope created after ``after`` (the import's read-back)."""
        ...


@runtime_checkable
class BulkDelete(Protocol):
    """One job that deletes many records."""

    def delete_many(self, ids: Sequence[str]) -> HasErrors:
        """Delete ``ids``; records already gone are fine."""
        ...


@runtime_checkable
class StateAfterWrites(Protocol):
    """A change-read state that must learn what the run itself wrote before it is stored."""

    def state_after_writes(self, state: str, written: WrittenIds | None = None) -> str:
        """``state`` (as ``read_changes`` returned it) told about ``written``."""
        ...


@runtime_checkable
class HiddenRecords(Protocol):
    """A login that may not see every record: a hidden record cannot be told from a deleted one."""

    def hidden_look_deleted(self) -> bool:
        """True when a record missing from a listing and from a read by id may only be hidden
        from this login (it is then out of scope, never deleted)."""
        ...


@runtime_checkable
class TargetList(Protocol):
    """A named list the synced records belong to."""

    def ensure_list(self, name: str) -> str:
        """The id of the list called ``name``, created when missing."""
        ...


@runtime_checkable
class ScopeFilter(Protocol):
    """A scope narrower than the account (a target list): records read by id are checked."""

    def out_of_scope(self, records: Sequence[RemoteRecord]) -> list[str]:
        """The ids of ``records`` that lie outside the synced scope."""
        ...

    def holders_off_scope(self, email: str) -> list[RemoteRecord]:
        """The records outside the synced scope holding ``email`` (for consent, which holds
        whatever the scope)."""
        ...


@runtime_checkable
class FullReplace(Protocol):
    """Writes of a full record body, as the caller built it from the freshest read."""

    def replace(self, record_id: str, body: Mapping[str, Any]) -> RemoteRecord:
        """Store ``body`` as the whole record ``record_id``; returns the record as stored."""
        ...


@runtime_checkable
class ServerClock(Protocol):
    """Timestamps written in a configured zone, checked against the server's clock."""

    def server_time_offset(self) -> float:
        """Server clock minus local clock, in seconds."""
        ...

    def time_zone(self) -> str:
        """The zone the connector reads the server's timestamps in."""
        ...


@runtime_checkable
class AccountInfo(Protocol):
    """The remote account the connector is signed in to."""

    def account_summary(self) -> AccountSummary:
        """The account's id and what a person knows it by."""
        ...


def sees_all(connector: object) -> bool:
    """Whether a record ``connector`` cannot read is deleted (not merely hidden from it)."""
    return not (isinstance(connector, HiddenRecords) and connector.hidden_look_deleted())


def state_after(connector: object, state: str, written: WrittenIds) -> str:
    """The state to store for ``connector`` after a run wrote ``written`` to it."""
    if isinstance(connector, StateAfterWrites):
        return connector.state_after_writes(state, written)
    return state
