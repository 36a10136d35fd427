"""``VtigerConnector``: the CRM side of a sync (``side = "crm"``).

Example::

    settings = VtigerSettings(url="https://crm.example.com", username="sync",
                              access_key=key)
    crm = VtigerConnector(settings, state_dir=data_dir)
    changes = crm.read_changes(stored_state)
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx2

from ccsync.connectors.base import ChangeSet, OnResult, RemoteRecord, Schema, Side, WriteResult
from ccsync.connectors.capabilities import WrittenIds
from ccsync.connectors.trace import TraceSink, trace_hooks
from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.accounts import FIELD as ACCOUNT
from ccsync.connectors.vtiger.accounts import AccountNames
from ccsync.connectors.vtiger.changes import to_epoch
from ccsync.connectors.vtiger.client import VtigerClient
from ccsync.connectors.vtiger.describe import MODULE, OWNER_FIELD, SchemaCache, prepare_write
from ccsync.connectors.vtiger.errors import RecordGone
from ccsync.connectors.vtiger.reading import ChangeReader
from ccsync.connectors.vtiger.session import (
    Identity,
    RestSession,
    Session,
    WebserviceSession,
    lock_path,
)
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.connectors.vtiger.state import VtigerState, with_written
from ccsync.connectors.vtiger.transport import Pacer, make_transport
from ccsync.errors import ConfigError, FatalError, SkippableRecordError, SyncError

__all__ = ["OnResult", "VtigerConnector", "WriteResult"]


class VtigerConnector:
    """Vtiger Contacts behind the ``Connector`` contract, for one user and scope.

    Args:
        settings: where the CRM is and who logs in.
        state_dir: where the login lock file and the ``describe`` cache live (the system's temp
            directory when None; the schema is then cached in memory only).
        http: an ``httpx2.Client`` to use (tests, shared pools); the connector makes its own
            otherwise and closes it in ``close``.
        trace: receives every request and response, redacted (Debug Mode).
    """

    side: Side = "crm"

    def __init__(
        self,
        settings: VtigerSettings,
        *,
        state_dir: Path | None = None,
        http: httpx2.Client | None = None,
        trace: TraceSink | None = None,
    ) -> None:
        self.settings = settings
        if state_dir is not None:
            state_dir.mkdir(parents=True, exist_ok=True)
        self._own_http = http is None
        hooks = trace_hooks(trace) if trace else None
        self._http = http or httpx2.Client(timeout=settings.timeout, event_hooks=hooks)
        self.pacer = Pacer()
        self._transport = make_transport(settings, self._http, self.pacer)
        self._session = self._make_session(state_dir)
        self._client = VtigerClient(self._session, read_attempts=settings.read_attempts)
        self._schema = SchemaCache(lambda: self._client.describe(MODULE), self._cache(state_dir))
        self._reader = ChangeReader(settings, self._client, lambda: self.schema().id_prefix)
        self._accounts = AccountNames(self._client.query)
        self._zone = settings.zone()

    def __repr__(self) -> str:
        return f"VtigerConnector({self.settings!r})"

    def _make_session(self, state_dir: Path | None) -> Session:
        if self.settings.flavour == "restapi":
            return RestSession(self.settings, self._transport)
        return WebserviceSession(
            self.settings, self._transport, lock_path(self.settings, state_dir)
        )

    def _cache(self, state_dir: Path | None) -> Path | None:
        if state_dir is None:
            return None
        key = hashlib.sha256(f"{self.settings.root}\0{self.settings.username}".encode())
        return state_dir / f"vtiger-describe-{key.hexdigest()[:20]}.json"

    # -- identity -----------------------------------------------------------------------------

    def identity(self) -> Identity:
        """The logged-in Vtiger user (logs in on first use)."""
        return self._client.identity()

    @property
    def user_id(self) -> str:
        """The user's webservice id (``19x1``); created contacts are assigned to it."""
        return self.identity().user_id

    @property
    def is_admin(self) -> bool:
        """Whether the Vtiger user is an administrator."""
        return self.identity().is_admin

    def server_time_offset(self) -> float:
        """Server clock minus local clock in seconds (getchallenge ``serverTime`` or ``Date``)."""
        return self.identity().server_offset

    def time_zone(self) -> str:
        """The server's PHP time zone, in which ``modifiedtime`` is read (the setting)."""
        return self.settings.timezone

    def hidden_look_deleted(self) -> bool:
        """A user who is not an admin cannot tell a contact hidden from them from a deleted one."""
        return not self.is_admin

    def write_concurrency(self) -> int:
        """How many writes ``create_many`` / ``update_many`` run at once."""
        return self.settings.write_concurrency

    @property
    def calls(self) -> int:
        """Remote requests made so far (getchallenge and login included)."""
        return self._transport.calls

    def close(self) -> None:
        """Close the HTTP client if the connector made it."""
        if self._own_http:
            self._http.close()

    def _owner(self) -> str | None:
        ident = self.identity()
        if self.settings.scope == "all":
            if not ident.is_admin:
                raise ConfigError(
                    "Scope 'all contacts' needs a Vtiger admin user; this user is not an admin"
                )
            return None
        return ident.user_id

    def _who(self) -> str:
        s = self.settings
        return f"{s.root}|{s.flavour}|{s.username}|{s.scope}"

    # -- reads --------------------------------------------------------------------------------

    def schema(self) -> Schema:
        """The Contacts fields from ``describe`` (cached daily)."""
        return self._schema.get()

    def read_changes(self, state: str | None) -> ChangeSet:
        """Records changed since ``state``, deletions, and records that left the scope."""
        before = self.calls
        current = VtigerState.load(state, self._who())
        owner = self._owner()
        outcome = self._reader.read(current, self.identity(), owner)
        self._accounts.load(current.accounts)
        records = sorted(
            self._records(outcome.records),
            key=lambda r: (r.updated_at, vtql.record_number(r.id)),
        )
        current.accounts = self._accounts.dump()
        return ChangeSet(
            records=records,
            next_state=current.dump(),
            deleted_ids=outcome.deleted,
            out_of_scope_ids=outcome.out_of_scope,
            complete=outcome.complete,
            calls=self.calls - before,
        )

    def state_after_writes(self, state: str, written: WrittenIds | None = None) -> str:
        """The change-read ``state`` told about the contacts the run created, deleted or wrote
        (``state.with_written``: deletion detection counts on the inventory knowing them)."""
        if written is None:
            return state
        return with_written(state, written.created, written.deleted, written.touched)

    def read_all(self) -> Iterator[RemoteRecord]:
        """Every record in scope, in id order, 100 per call."""
        owner = self._owner()
        also = [vtql.cond(OWNER_FIELD, "=", owner)] if owner else []
        last: str | None = None
        while True:
            where = [[vtql.cond("id", ">", last)]] if last else []
            rows = self._client.query(vtql.select(MODULE, where=where, also=also, order_by="id"))
            yield from self._records(rows)
            if len(rows) < vtql.MAX_ROWS:
                return
            last = str(rows[-1]["id"])

    def get_many(self, ids: Sequence[str]) -> list[RemoteRecord]:
        """Fresh reads of ``ids`` in scope; deleted, hidden or unknown ids are absent."""
        owner = self._owner()
        also = [vtql.cond(OWNER_FIELD, "=", owner)] if owner else []
        valid = [i for i in dict.fromkeys(ids) if _is_ws_id(i)]
        found: dict[str, RemoteRecord] = {}
        for start in range(0, len(valid), vtql.MAX_ROWS):
            chunk = valid[start : start + vtql.MAX_ROWS]
            query = vtql.select(MODULE, where=[[vtql.in_list("id", chunk)]], also=also)
            for record in self._records(self._client.query(query)):
                found[record.id] = record
        return [found[i] for i in valid if i in found]

    def find_by_email(self, email: str) -> list[RemoteRecord]:
        """Records in scope whose primary e-mail equals ``email``, ignoring case."""
        wanted = email.strip()
        if not wanted:
            return []
        owner = self._owner()
        also = [vtql.cond(OWNER_FIELD, "=", owner)] if owner else []
        # MySQL compares case-insensitively; asking for the lower-case spelling as well keeps
        # the lookup right on servers with a binary collation for the common case.
        spellings = dict.fromkeys([wanted, wanted.lower()])
        where = [[vtql.cond("email", "=", s)] for s in spellings]
        rows = self._client.query(vtql.select(MODULE, where=where, also=also, order_by="id"))
        key = wanted.casefold()
        mine = [r for r in rows if str(r.get("email", "")).strip().casefold() == key]
        return self._records(mine)

    def _records(self, rows: Iterable[Mapping[str, Any]]) -> list[RemoteRecord]:
        """Rows as records, ``account_id`` shown as the organisation's name (see accounts.py)."""
        copies = [dict(row) for row in rows]
        if self.settings.resolve_accounts:
            self._accounts.show(copies)
        return [self._remote(row) for row in copies]

    def _one(self, row: Mapping[str, Any]) -> RemoteRecord:
        return self._records([row])[0]

    def _with_account_id(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        """A write's fields with the organisation *name* turned into its reference.

        Only an organisation with exactly that name is linked; with none (or several) the
        contact's organisation is left as it is — the engine notes it in the run item.
        """
        out = dict(fields)
        if ACCOUNT in out and self.settings.resolve_accounts:
            account_id = self._accounts.id_of(str(out.pop(ACCOUNT) or ""))
            if account_id is not None:
                out[ACCOUNT] = account_id
        return out

    def _remote(self, row: Mapping[str, Any]) -> RemoteRecord:
        stamp = to_epoch(str(row.get("modifiedtime", "")), self._zone)
        return RemoteRecord(
            id=str(row.get("id", "")),
            updated_at=datetime.fromtimestamp(stamp, UTC),
            fields=dict(row),
        )

    # -- writes -------------------------------------------------------------------------------

    def create(self, fields: Mapping[str, Any]) -> RemoteRecord:
        """Create a contact assigned to the connector's user; returns it as stored.

        Raises:
            SkippableRecordError: a mandatory field is empty, a value is longer than its column
                (``value_too_long``), or the server refused the record.
        """
        named = self._with_account_id(fields)
        element = prepare_write({**named, OWNER_FIELD: self.user_id}, self.schema(), creating=True)
        return self._one(self._schema_guard(lambda: self._client.create(MODULE, element)))

    def update(self, record_id: str, fields: Mapping[str, Any]) -> RemoteRecord:
        """``revise`` only the given fields (``""`` clears one); returns the record as stored."""
        vtql.split_id(record_id)
        element = prepare_write(self._with_account_id(fields), self.schema(), creating=False)
        if not element:
            return self._one(self._client.retrieve(record_id))
        row = self._schema_guard(lambda: self._client.revise({"id": record_id, **element}))
        return self._one(row)

    def delete(self, record_id: str) -> None:
        """Delete (soft, Recycle Bin); an id that is already gone is fine."""
        vtql.split_id(record_id)
        try:
            self._client.delete(record_id)
        except RecordGone as gone:
            if gone.hidden:
                raise

    def _schema_guard(self, write: Any) -> dict[str, Any]:
        try:
            result: dict[str, Any] = write()
        except SkippableRecordError as exc:
            if exc.reason == "missing_mandatory":
                self._schema.invalidate()  # an admin may have made a field mandatory
            raise
        return result

    def create_many(
        self, items: Sequence[Mapping[str, Any]], each: OnResult | None = None
    ) -> list[WriteResult]:
        """Create several contacts within the write-concurrency limit.

        Args:
            items: the contacts' fields.
            each: told of every outcome as soon as it is known (so a caller can record each
                write at once, not after the whole batch).

        Returns:
            One entry per item, in order: the stored record, or the ``SyncError`` that skipped
            or postponed it. A ``FatalError`` is raised once every write has finished.
        """
        return self._parallel([lambda f=f: self.create(f) for f in items], each)

    def update_many(
        self, items: Sequence[tuple[str, Mapping[str, Any]]], each: OnResult | None = None
    ) -> list[WriteResult]:
        """``update`` several contacts within the write-concurrency limit (see ``create_many``)."""
        return self._parallel([lambda i=i, f=f: self.update(i, f) for i, f in items], each)

    def _parallel(self, jobs: Sequence[Any], each: OnResult | None = None) -> list[WriteResult]:
        if not jobs:
            return []
        self.identity()  # log in once before the workers start
        self.schema()
        results: list[WriteResult | None] = [None] * len(jobs)
        with ThreadPoolExecutor(max_workers=self.settings.write_concurrency) as pool:
            futures = {pool.submit(_capture, job): n for n, job in enumerate(jobs)}
            try:
                for future in as_completed(futures):
                    n = futures[future]
                    result = results[n] = future.result()
                    if each is not None and not isinstance(result, FatalError):
                        each(n, result)
            except BaseException:
                for future in futures:  # the caller stops: send nothing more
                    future.cancel()
                raise
        done = [r for r in results if r is not None]
        fatal = next((r for r in done if isinstance(r, FatalError)), None)
        if fatal is not None:
            raise fatal
        return done


def _capture(job: Any) -> WriteResult:
    try:
        record: RemoteRecord = job()
    except SyncError as exc:
        return exc
    return record


def _is_ws_id(value: str) -> bool:
    try:
        vtql.split_id(value)
    except SkippableRecordError:
        return False
    return True
