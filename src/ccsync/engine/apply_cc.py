"""Email-marketing (Constant Contact) writes of a plan (sync rules W1, W2, D2).

* JSON import for creates the planner marked ``import_ok`` (CRM contacts with Email Opt Out 0,
  an email of ≤ 50 characters and no CC twin in any status), batched by the connector by bytes;
  links come from a read-back of the target list (``created_after``); rows the read-back does
  not show are retried one by one with ``POST`` for a precise error.
* Every other update is a ``PUT`` of the full merged record, with ``permission_to_send`` from
  the freshest read of the contact in this run (or the consent rule's value).
* Many deletes go through the bulk delete activity.

Each bulk path, the target list and the full ``PUT`` are capabilities of the connector
(``BulkImport``, ``BulkDelete``, ``TargetList``, ``FullReplace``); without one the writer falls
back to ``create`` / ``update`` / ``delete`` one record at a time, and to no list.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from ccsync.connectors.base import Connector, RemoteRecord
from ccsync.connectors.capabilities import BulkDelete, BulkImport, FullReplace, TargetList
from ccsync.domain.contact import EMAIL
from ccsync.domain.normalize import email_key
from ccsync.engine.config import ConnectorConfig
from ccsync.engine.mapping import (
    FieldMapping,
    canonical_to_cc_post,
    canonical_to_cc_put,
    canonical_to_import_row,
)
from ccsync.engine.outcome import before_write
from ccsync.engine.plan_types import Action
from ccsync.engine.reading import SideRead
from ccsync.engine.write_report import WriteReport, Written
from ccsync.errors import FatalError, RecordConflict, RecordNotFound, RetriableError, SyncError

IMPORT_MIN = 5  # below this, one POST each is cheaper than import + poll + read-back
BULK_DELETE_MIN = 5
READ_BACK_MARGIN = timedelta(minutes=10)
READ_BACK_BATCH = 500  # links stored per transaction while reading an import back


class CcWriter:
    """Writes one plan's Constant Contact actions and reports each outcome."""

    def __init__(
        self,
        cc: Connector,
        mapping: FieldMapping,
        config: ConnectorConfig,
        read: SideRead,
        owner: WriteReport,
        linked: Collection[str] = frozenset(),
    ) -> None:
        self.cc = cc
        self.linked = linked  # the CC contacts the pairs hold
        self.mapping = mapping
        self.config = config
        self.read = read
        self.owner = owner
        self._list_id: str | None = None

    @property
    def list_id(self) -> str:
        """The target list's id (created on demand, once per run; "" without lists)."""
        if self._list_id is None:
            cc, name = self.cc, self.config.cc.target_list_name()
            self._list_id = cc.ensure_list(name) if name and isinstance(cc, TargetList) else ""
        return self._list_id

    def _lists(self) -> list[str]:
        return [self.list_id] if self.list_id else []

    def apply(self, actions: Sequence[Action]) -> None:
        """Imports, then single writes, then deletes."""
        imports = [a for a in actions if a.kind == "create" and a.import_ok]
        bulk = self.cc if isinstance(self.cc, BulkImport) else None
        if len(imports) < IMPORT_MIN or bulk is None:
            imports = []
        singles = [a for a in actions if a.kind in ("create", "update", "revive", "unlist")]
        singles = [a for a in singles if not any(a is i for i in imports)]
        if imports and bulk is not None:
            self._import(bulk, imports)
        for action in singles:
            self._guarded(action)
        self._delete([a for a in actions if a.kind == "delete"])

    # -- single writes ---------

    def update_one(self, action: Action) -> RemoteRecord:
        """One ``PUT`` of the full merged record; raises on failure."""
        before_write("cc.update")
        return self._replace(action.cc_id or "", self._put_body(action))

    def _replace(self, cc_id: str, body: dict[str, Any]) -> RemoteRecord:
        """The full body as is where the connector can, else an ``update`` with it."""
        if isinstance(self.cc, FullReplace):
            return self.cc.replace(cc_id, body)
        return self.cc.update(cc_id, body)

    def _guarded(self, action: Action) -> None:
        try:
            record = self._single(action)
        except SyncError as exc:
            if isinstance(exc, FatalError):
                raise
            if isinstance(exc, RecordConflict) and action.kind == "update":
                self._all_but_email(action)
            self.owner.failed(action, exc)
            return
        if action.kind == "unlist":
            self.owner.deleted([action])
        else:
            self.owner.done(action, record, action.crm_id or "", record.id)

    def _all_but_email(self, action: Action) -> None:
        """An update refused for its email (another CC contact has the address): the other
        fields are written with the contact's current email. The pair's snapshots keep the
        old address, so the refused change stays pending and is sent again whenever either
        side changes; if this write fails too, the whole update stays refused."""
        cc_id = action.cc_id or ""
        try:
            self._fresh(cc_id)
            current = self.read.mapped[cc_id].canonical.get(EMAIL, "")
            if not current or current == action.values.get(EMAIL, ""):
                return
            crm_snap, cc_snap = action.snapshots or (None, None)
            rest = replace(
                action,
                values={**action.values, EMAIL: current},
                diff={k: v for k, v in action.diff.items() if k != EMAIL},
                snapshots=({**crm_snap, EMAIL: current} if crm_snap else None, cc_snap),
            )
            if not rest.diff and rest.consent is None:
                return  # nothing but the refused email (a consent change is still sent)
            before_write("cc.update")
            record = self._replace(cc_id, self._put_body(rest))
        except SyncError as exc:
            if isinstance(exc, FatalError):
                raise
            return
        self.owner.done(rest, record, rest.crm_id or "", record.id)

    def _single(self, action: Action) -> RemoteRecord:
        before_write(f"cc.{action.kind}")
        if action.kind == "create":
            body = canonical_to_cc_post(
                action.values, self.mapping, list_ids=self._lists(), permission=action.consent
            )
            known = set(self.read.fresh) | set(self.linked)
            return _not_known(self.cc.create(body), known)
        return self._replace(action.cc_id or "", self._put_body(action))

    def _fresh(self, cc_id: str) -> dict[str, Any]:
        """The freshest full read of ``cc_id`` in this run (read now when there is none)."""
        record = self.read.fresh.get(cc_id)
        if record is None:
            found = self.cc.get_many([cc_id])
            if not found:
                raise RecordNotFound(f"Constant Contact contact {cc_id} is gone")
            record = found[0]
            self.read.remember(found, self.mapping)
        return dict(record.fields)

    def _put_body(self, action: Action) -> dict[str, Any]:
        fresh = self._fresh(action.cc_id or "")
        values = {} if action.kind == "unlist" else action.values
        lists = self._lists() if action.kind == "revive" else []
        body = canonical_to_cc_put(
            values, fresh, self.mapping, permission=action.consent, add_list_ids=lists
        )
        if action.kind == "unlist":
            body["list_memberships"] = [
                x for x in body.get("list_memberships", []) if x != self.list_id
            ]
        return body

    # -- import ---------

    def _import(self, cc: BulkImport, actions: list[Action]) -> None:
        """Bulk-create ``actions``; link them from a read-back; POST the ones not found."""
        started = datetime.now(UTC) - READ_BACK_MARGIN
        rows = [canonical_to_import_row(a.values, self.mapping) for a in actions]
        before_write("cc.import")
        cc.import_contacts(rows, self._lists())
        by_email = {email_key(a.values.get(EMAIL, "")): a for a in actions}
        page: list[Written] = []
        for record in cc.read_created_after(self.list_id, started):
            key = email_key(_email(record))
            action = by_email.pop(key, None) if key else None
            if action is not None:
                page.append((action, record, action.crm_id or "", record.id))
            if len(page) >= READ_BACK_BATCH:
                self.owner.done_many(page)
                page = []
        self.owner.done_many(page)
        for action in by_email.values():
            self._guarded(action)

    # -- deletes ---------

    def _delete(self, actions: list[Action]) -> None:
        bulk = self.cc if isinstance(self.cc, BulkDelete) else None
        if len(actions) >= BULK_DELETE_MIN and bulk is not None:
            self._delete_many(bulk, actions)
            return
        for action in actions:
            before_write("cc.delete")
            try:
                self.cc.delete(action.cc_id or "")
            except SyncError as exc:
                if isinstance(exc, FatalError):
                    raise
                self.owner.failed(action, exc)
                continue
            self.owner.deleted([action])

    def _delete_many(self, cc: BulkDelete, actions: list[Action]) -> None:
        """One bulk delete; its pairs are tombstoned only once CC shows the contacts deleted.

        A failed activity (or one that reports errors) is checked by reading the contacts
        again: those deleted (or gone) are acknowledged, the rest go to the retry queue.
        """
        before_write("cc.delete_many")
        try:
            result = cc.delete_many([a.cc_id or "" for a in actions])
        except SyncError as exc:
            if isinstance(exc, FatalError):
                raise
            self._check_deleted(actions, exc)
            return
        if result.errors:
            self._check_deleted(actions, RetriableError("; ".join(result.errors)[:500]))
            return
        self.owner.deleted(actions)

    def _check_deleted(self, actions: list[Action], exc: SyncError) -> None:
        alive = {r.id for r in self.cc.get_many([a.cc_id or "" for a in actions]) if not r.deleted}
        self.owner.deleted([a for a in actions if a.cc_id not in alive])
        for action in actions:
            if action.cc_id in alive:
                self.owner.failed(action, exc)


def _email(record: RemoteRecord) -> str:
    address = record.fields.get("email_address") or {}
    return str(address.get("address") or "") if isinstance(address, dict) else ""


def _not_known(record: RemoteRecord, known: set[str]) -> RemoteRecord:
    """A create whose answer was lost is found again by its email; a contact this run had
    already read, or a pair holds, is not the one it made: the create was refused for the
    address (an answer lost with a 409 in it)."""
    if record.id in known:
        raise RecordConflict(
            f"the email belongs to Constant Contact contact {record.id}", holder_id=record.id
        )
    return record
