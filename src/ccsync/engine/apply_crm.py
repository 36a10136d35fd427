"""CRM writes of a plan: creates and updates within the concurrency limit, deletes.

Connectors with ``BulkWrites`` (Vtiger) write chunks in parallel; others one record at a time.
For a connector with a ``ServerClock`` (Vtiger) the first write also checks the time-zone setting:
the ``modifiedtime`` Vtiger stamps on it, read in ``vtiger_timezone``, must match the server's
clock within 60 s.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from ccsync.connectors.base import Connector, RemoteRecord, WriteResult
from ccsync.connectors.capabilities import BulkWrites, ServerClock
from ccsync.domain.normalize import clean
from ccsync.engine import reasons
from ccsync.engine.mapping import FieldMapping, canonical_to_crm_create, canonical_to_crm_revise
from ccsync.engine.outcome import before_write
from ccsync.engine.plan_types import Action
from ccsync.engine.reading import SideRead
from ccsync.engine.validation import Issue
from ccsync.engine.write_report import WriteReport
from ccsync.errors import ConfigError, FatalError, SyncError

TZ_TOLERANCE_S = 60.0
ACCOUNT = "account_id"  # the organisation, as its name (the connector maps name ⇄ reference)


class TimeZoneMismatch(ConfigError):
    """Vtiger's timestamps do not match the connector's time-zone setting."""


class CrmWriter:
    """Writes one plan's CRM actions and reports each outcome to the ``Applier``."""

    def __init__(
        self, crm: Connector, mapping: FieldMapping, read: SideRead, owner: WriteReport
    ) -> None:
        self.crm = crm
        self.mapping = mapping
        self.read = read
        self.owner = owner
        self._checked = False

    def apply(self, actions: Sequence[Action]) -> None:
        """Creates and updates in chunks of parallel writes, then deletes one by one."""
        writes = [a for a in actions if a.kind in ("create", "update")]
        chunk = max(1, self.crm.write_concurrency() * 2) if isinstance(self.crm, BulkWrites) else 1
        if writes and not self._checked:
            self._write_one(writes[0])
            writes = writes[1:]
        for start in range(0, len(writes), chunk):
            self._write_chunk(writes[start : start + chunk])
        for action in actions:
            if action.kind == "delete":
                self._delete(action)

    def update_one(self, action: Action) -> RemoteRecord:
        """One ``revise`` (used for pairs written on both sides); raises on failure."""
        before_write("crm.update")
        record = self.crm.update(action.crm_id or "", self._fields(action))
        self._check_zone(record)
        self._note_company(action, record)
        return record

    def _fields(self, action: Action) -> dict[str, Any]:
        if action.kind == "create":
            return canonical_to_crm_create(action.values, self.mapping)
        return canonical_to_crm_revise(action.values, None, self.mapping)

    def _call(self, action: Action) -> RemoteRecord:
        before_write(f"crm.{action.kind}")
        if action.kind == "create":
            return self.crm.create(self._fields(action))
        return self.crm.update(action.crm_id or "", self._fields(action))

    def _write_one(self, action: Action) -> None:
        try:
            record = self._call(action)
        except SyncError as exc:
            if isinstance(exc, FatalError):
                raise
            self._fail(action, exc)
            return
        self._check_zone(record)
        self._record(action, record)

    def _write_chunk(self, actions: Sequence[Action]) -> None:
        """Parallel writes; each outcome is recorded (link + run item) the moment it is known,
        so a run killed mid-chunk still logs every write that went through. A connector
        without ``BulkWrites`` writes them one by one."""
        if not isinstance(self.crm, BulkWrites):
            for action in actions:
                self._write_one(action)
            return
        for action in actions:
            before_write(f"crm.{action.kind}")
        creates = [a for a in actions if a.kind == "create"]
        updates = [a for a in actions if a.kind == "update"]

        def each(batch: Sequence[Action]) -> Callable[[int, WriteResult], None]:
            return lambda n, result: self._outcome(batch[n], result)

        self.crm.create_many([self._fields(a) for a in creates], each(creates))
        self.crm.update_many([(a.crm_id or "", self._fields(a)) for a in updates], each(updates))

    def _outcome(self, action: Action, result: WriteResult) -> None:
        if isinstance(result, RemoteRecord):
            self._record(action, result)
        else:
            self._fail(action, result)

    def _note_company(self, action: Action, record: RemoteRecord) -> None:
        """Say so in the run item when the company name matched no Vtiger organisation.

        The connector links a contact only to the organisation with exactly that name and
        otherwise leaves its organisation alone; the stored value then differs from the sent one.
        """
        if ACCOUNT not in action.diff:
            return
        wanted = action.values.get(ACCOUNT, "")
        if self.mapping.equal(ACCOUNT, clean(record.fields.get(ACCOUNT)), wanted):
            return
        text = reasons.message(reasons.COMPANY_NOT_IN_CRM, name=wanted)
        action.warnings.append(Issue(reasons.COMPANY_NOT_IN_CRM, ACCOUNT, text))

    def _record(self, action: Action, record: RemoteRecord) -> None:
        self._note_company(action, record)
        self.owner.done(action, record, record.id, action.cc_id or "")

    def _fail(self, action: Action, exc: Exception) -> None:
        self.owner.failed(action, exc)

    def _delete(self, action: Action) -> None:
        before_write("crm.delete")
        try:
            self.crm.delete(action.crm_id or "")
        except SyncError as exc:
            if isinstance(exc, FatalError):
                raise
            self._fail(action, exc)
            return
        self.owner.deleted([action])

    def _check_zone(self, record: RemoteRecord) -> None:
        """Stop the run when ``modifiedtime`` read in the set zone is off by more than 60 s."""
        if self._checked:
            return
        self._checked = True
        if not isinstance(self.crm, ServerClock):
            return
        server_now = datetime.now(UTC).timestamp() + self.crm.server_time_offset()
        drift = abs(record.updated_at.timestamp() - server_now)
        if drift > TZ_TOLERANCE_S:
            raise TimeZoneMismatch(
                f"Vtiger time zone mismatch: the server's timestamps are {drift / 3600:.1f} h "
                f"away from its clock read in {self.crm.time_zone()}; "
                "fix the connector's Vtiger time zone"
            )
