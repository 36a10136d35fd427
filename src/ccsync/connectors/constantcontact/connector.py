"""``ConstantContactConnector``: the CC side of a sync, over the v3 API.

Example::

    connector = ConstantContactConnector(settings, FileTokenStore(path), limiter_path=lim)
    changes = connector.read_changes(stored_state)     # 2 calls when nothing changed
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx2

from ccsync.connectors.base import AccountSummary, ChangeSet, RemoteRecord, Schema, Side
from ccsync.connectors.capabilities import WrittenIds
from ccsync.connectors.constantcontact import activities
from ccsync.connectors.constantcontact.activities import ImportResult
from ccsync.connectors.constantcontact.budget import DailyBudget, MemoryDailyBudget
from ccsync.connectors.constantcontact.changes import ReadState
from ccsync.connectors.constantcontact.client import CCClient, Params, RetryPolicy
from ccsync.connectors.constantcontact.export import ExportRun, export_contacts
from ccsync.connectors.constantcontact.limiter import api_limiter, token_limiter
from ccsync.connectors.constantcontact.oauth import TokenHook, TokenManager
from ccsync.connectors.constantcontact.records import (
    INCLUDE,
    email_of,
    parse_time,
    put_body,
    schema_from,
    status_of,
    to_record,
)
from ccsync.connectors.constantcontact.settings import CCSettings
from ccsync.connectors.tokens import TokenStore
from ccsync.connectors.trace import TraceSink, trace_hooks
from ccsync.errors import RecordConflict, RecordNotFound, SkippableRecordError


def account_label(summary: Mapping[str, Any]) -> str:
    """The organisation (else the owner's name) with the account's email in parentheses."""
    person = f"{summary.get('first_name') or ''} {summary.get('last_name') or ''}".strip()
    name = str(summary.get("organization_name") or "").strip() or person
    email = str(summary.get("contact_email") or "").strip()
    if name and email:
        return f"{name} ({email})"
    return name or email


__all__ = ["AccountSummary", "ConstantContactConnector", "ImportResult"]

SCHEMA_TTL = timedelta(hours=24)


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ConstantContactConnector:
    """One Constant Contact account, as a ``ccsync.connectors.base.Connector`` (side ``cc``).

    Args:
        settings: the connector settings.
        tokens: the token store of this connector.
        budget: the daily budget shared by every connector of the application (in-process
            counter when None).
        limiter_path: SQLite file of the shared limiter (in-process when None).
        limiter_url: PostgreSQL database (libpq URL) of the limiter shared by every machine
            (wins over ``limiter_path``).
        rate: mean requests per second (CC allows 4).
        daily_quota: calls a UTC day the application may make.
        http: the HTTP client to use (one is created when None).
        trace: receives every request/response, redacted (Debug Mode).
        clock: the current time, aware UTC (defaults to the system clock).
        on_token_received: test hook called with a new token pair before it is committed.
        retry_policy: bounds of automatic retries.
    """

    side: Side = "cc"

    def __init__(
        self,
        settings: CCSettings,
        tokens: TokenStore,
        *,
        budget: DailyBudget | None = None,
        limiter_path: Path | None = None,
        limiter_url: str | None = None,
        rate: float = 3.8,
        daily_quota: int = 10000,
        http: httpx2.Client | None = None,
        trace: TraceSink | None = None,
        clock: Callable[[], datetime] | None = None,
        on_token_received: TokenHook | None = None,
        retry_policy: RetryPolicy | None = None,
    ) -> None:
        self.settings = settings
        self._clock = clock or (lambda: datetime.now(UTC))
        self._calls = 0
        self._owns_http = http is None
        self._http = http or httpx2.Client(timeout=60)
        self._attach_hooks(trace)
        self._limiters = (
            api_limiter(settings.client_id, rate, limiter_path, limiter_url),
            token_limiter(settings.client_id, limiter_path, limiter_url),
        )
        self.tokens = TokenManager(
            settings, tokens, self._http, self._limiters[1], self._clock,
            on_token_received=on_token_received,
        )  # fmt: skip
        self.client = CCClient(
            settings, self.tokens, self._http, self._limiters[0],
            budget or MemoryDailyBudget(), daily_quota, self._clock, retry_policy,
        )  # fmt: skip
        self._lists: dict[str, str] = {}
        self._schema: tuple[datetime, Schema] | None = None
        self._read: ReadState | None = None  # this connector's last change read
        self._imported: set[str] = set()  # emails (casefolded) of rows it imported
        self._gap: tuple[datetime, datetime] | None = None
        self._pending: list[str] = []

    def _attach_hooks(self, trace: TraceSink | None) -> None:
        def count(_: httpx2.Request) -> None:
            self._calls += 1

        self._http.event_hooks["request"].append(count)
        if trace is not None:
            for name, hooks in trace_hooks(trace).items():
                self._http.event_hooks[name].extend(hooks)

    @property
    def calls(self) -> int:
        """Remote requests made so far (token endpoint included)."""
        return self._calls

    def close(self) -> None:
        """Release the HTTP client (when we made it) and the limiters."""
        for limiter in self._limiters:
            limiter.close()
        if self._owns_http:
            self._http.close()

    # --- identity and schema --------------------------------------------------------------

    def account_identity(self) -> str:
        """The CC account's ``encoded_account_id`` (``GET /account/summary``)."""
        return self.account_summary().id

    def account_summary(self) -> AccountSummary:
        """The CC account's id and what a person knows it by (``GET /account/summary``)."""
        summary = self.client.call("GET", "/account/summary") or {}
        return AccountSummary(str(summary["encoded_account_id"]), account_label(summary))

    def custom_fields(self) -> list[dict[str, Any]]:
        """The account's custom field definitions."""
        return list(self.client.items("/contact_custom_fields", "custom_fields", {"limit": 100}))

    def schema(self) -> Schema:
        """Contract fields plus custom fields (cached for a day)."""
        now = self._clock()
        if self._schema is None or now - self._schema[0] > SCHEMA_TTL:
            self._schema = (now, schema_from(self.custom_fields()))
        return self._schema[1]

    def ensure_list(self, name: str) -> str:
        """The id of the list called ``name``, created when missing."""
        if name not in self._lists:
            self._lists[name] = self._find_list(name) or self._create_list(name)
        return self._lists[name]

    def _find_list(self, name: str) -> str | None:
        for item in self.client.items("/contact_lists", "lists", {"name": name, "limit": 500}):
            if item.get("name") == name and not item.get("deleted_at"):
                return str(item["list_id"])
        return None

    def _create_list(self, name: str) -> str:
        body = {"name": name, "favorite": False, "description": "Contacts kept in sync by ccsync"}
        try:
            created = self.client.send("POST", "/contact_lists", json=body).json()
        except RecordConflict:
            # another process created it a moment ago
            return self._find_list(name) or name
        return str(created["list_id"])

    # --- reads ------------------------------------------------------------------------------

    def _params(self, **extra: str | int) -> Params:
        params: Params = {"status": "all", "include": INCLUDE, "limit": 500}
        params.update(extra)
        return params

    def _scoped(self, params: Params) -> Params:
        if self.settings.scope == "lists":
            params["lists"] = self.ensure_list(self.settings.target_list)
        return params

    def _contacts(self, params: Params) -> Iterator[dict[str, Any]]:
        return self.client.items("/contacts", "contacts", params)

    def read_all(self) -> Iterator[RemoteRecord]:
        """Every contact in scope, deleted and unsubscribed ones included (``status=all``)."""
        for contact in self._contacts(self._scoped(self._params())):
            yield to_record(contact)

    def read_changes(self, state: str | None) -> ChangeSet:
        """Contacts changed since ``state`` (see ``changes.ReadState``); all when None."""
        read = ReadState.decode(state)
        self._read = read
        signpost, before = self._clock(), self._calls
        if read.list_id and self.settings.scope == "lists":  # saves a list look-up per run
            self._lists.setdefault(self.settings.target_list, read.list_id)
        if read.watermark is None:
            records, complete = self._full_read(read), True
        else:
            records, complete = self._changed(read) + self._probe_deleted(read), False
        read.advance(signpost, timedelta(seconds=self.settings.overlap_seconds))
        read.list_id = self._lists.get(self.settings.target_list)
        records.sort(key=lambda r: (r.updated_at, r.id))
        return ChangeSet(
            records=records, next_state=read.encode(), complete=complete,
            out_of_scope_ids=self._off_list(records), calls=self._calls - before,
        )  # fmt: skip

    def out_of_scope(self, records: Sequence[RemoteRecord]) -> list[str]:
        """List scope: the ids of ``records`` (read by id) that are not on the target list."""
        if self.settings.scope == "lists" and records:
            self.ensure_list(self.settings.target_list)
        return self._off_list(records)

    def _off_list(self, records: Sequence[RemoteRecord]) -> list[str]:
        """List scope: changed contacts that are not (or no longer) on the target list.

        CC removes every list membership when a contact unsubscribes, so an opt-out of a
        synced contact arrives from the account-wide ``optout_after`` read as a record *and*
        as out of scope: the engine applies the consent rule to a linked pair, then unlinks.
        """
        if self.settings.scope != "lists":
            return []
        list_id = self._lists.get(self.settings.target_list)
        return [r.id for r in records if list_id not in (r.fields.get("list_memberships") or [])]

    def _full_read(self, read: ReadState) -> list[RemoteRecord]:
        records = []
        for contact in self._contacts(self._scoped(self._params())):
            read.remember(contact)
            records.append(to_record(contact))
        if self.settings.deletion_check == "count_probe":
            read.deleted_count = self._deleted_count()
        return records

    def _changed(self, read: ReadState) -> list[RemoteRecord]:
        assert read.watermark is not None
        since = read.watermark - timedelta(seconds=self.settings.overlap_seconds)
        found: dict[str, dict[str, Any]] = {}
        # unsubscribes may not bump updated_at, so opt-outs get their own read (account-wide:
        # CC may drop list memberships on unsubscribe)
        queries = [*self._updated_queries(read, since), self._params(optout_after=_iso(since))]
        for params in queries:
            for contact in self._contacts(params):
                if read.is_new(contact):
                    found[str(contact["contact_id"])] = contact
                    read.remember(contact)
        pending, read.pending = read.pending, []
        for contact_id in pending:
            if contact_id not in found:
                try:
                    found[contact_id] = self._get(contact_id)
                except RecordNotFound:
                    continue
        return [to_record(c) for c in found.values()]

    def _updated_queries(self, read: ReadState, since: datetime) -> list[Params]:
        """``updated_after`` the look-back, split around an import's read-back (see changes.py).

        Account-wide even in list scope: a contact that left the list, or was deleted (CC drops
        every list membership of a deleted contact), is no longer returned by a list-filtered
        read, so only an account-wide read sees it go (``_off_list`` marks it out of scope).
        """
        if read.gap is None or read.gap[1] <= since:
            return [self._params(updated_after=_iso(since))]
        created, seen_until = read.gap
        return [
            self._params(
                updated_after=_iso(since), created_before=_iso(created + timedelta(seconds=1))
            ),
            self._params(created_after=_iso(created), updated_after=_iso(seen_until)),
        ]

    def _deleted_count(self) -> int:
        params: Params = {"status": "deleted", "include_count": "true", "limit": 1}
        page = self.client.call("GET", "/contacts", params=params) or {}
        return int(page.get("contacts_count") or 0)

    def _probe_deleted(self, read: ReadState) -> list[RemoteRecord]:
        """Deletes that did not bump ``updated_at``: count deleted contacts, list them on change."""
        if self.settings.deletion_check != "count_probe" or read.watermark is None:
            return []
        count, previous = self._deleted_count(), read.deleted_count
        read.deleted_count = count
        if previous is not None and count == previous:
            return []
        # deleted_at is a date: anything deleted since the day before the window is a candidate
        floor = (read.watermark - timedelta(seconds=self.settings.overlap_seconds)).date()
        floor -= timedelta(days=1)
        out = []
        for contact in self._contacts(self._params(status="deleted")):
            deleted_at = parse_time(contact.get("deleted_at"))
            if deleted_at and deleted_at.date() >= floor and read.is_new(contact):
                read.remember(contact)
                out.append(to_record(contact))
        return out

    def get_many(self, ids: Sequence[str]) -> list[RemoteRecord]:
        """Fresh reads of ``ids`` (one call each); unknown ids are left out."""
        out = []
        for record_id in ids:
            try:
                out.append(to_record(self._get(record_id)))
            except RecordNotFound:
                continue
        return out

    def _get(self, record_id: str) -> dict[str, Any]:
        found: dict[str, Any] = self.client.call(
            "GET", f"/contacts/{record_id}", params={"include": INCLUDE}
        )
        return found

    def find_by_email(self, email: str) -> list[RemoteRecord]:
        """Contacts in scope (any status) whose email equals ``email`` case-insensitively."""
        out = self._anywhere(email)
        if self.settings.scope == "lists":
            list_id = self.ensure_list(self.settings.target_list)
            out = [r for r in out if list_id in (r.fields.get("list_memberships") or [])]
        return out

    def holders_off_scope(self, email: str) -> list[RemoteRecord]:
        """List scope: the contacts off the target list whose email equals ``email`` (one
        call); nothing, and no call, when the scope is the whole account."""
        if self.settings.scope != "lists":
            return []
        off = set(self._off_list(out := self._anywhere(email)))
        return [r for r in out if r.id in off]

    def _anywhere(self, email: str) -> list[RemoteRecord]:
        wanted = email.strip().casefold()
        params = self._params(email=email.strip(), limit=50)
        return [to_record(c) for c in self._contacts(params) if email_of(c).casefold() == wanted]

    def read_created_after(self, list_id: str, after: datetime) -> Iterator[RemoteRecord]:
        """Contacts in scope created after ``after`` (the read-back after an import).

        Scope-wide (``list_id`` is the target list, the scope of list-scoped connectors), so
        that the next change read may skip what it showed (``state_after_writes``).
        """
        started = self._clock()
        params = self._params(created_after=_iso(after))
        if self.settings.scope == "lists":
            params["lists"] = list_id
        newest: datetime | None = None
        for contact in self._contacts(params):
            stamp = parse_time(contact.get("updated_at"))
            if stamp is not None and (newest is None or stamp > newest):
                newest = stamp
            if not self._known(contact):
                self._pending.append(str(contact["contact_id"]))
            yield to_record(contact)
        # versions as of the read-back's start, on the server's clock when that is earlier
        self._gap = (after, min(started, newest) if newest is not None else started)

    def _known(self, contact: dict[str, Any]) -> bool:
        """Imported by this connector, or returned as it is now by its last change read."""
        if email_of(contact).strip().casefold() in self._imported:
            return True
        return self._read is not None and not self._read.is_new(contact)

    def state_after_writes(self, state: str, written: WrittenIds | None = None) -> str:
        """The change-read ``state`` told what an import's read-back showed (see changes.py).

        Call it with the state this connector's ``read_changes`` returned, once every write of
        the run is recorded; without an import in the run the state is returned unchanged.
        ``written`` (the ids the run wrote) is not needed: the read-back says it all.
        """
        if self._gap is None:
            return state
        read = ReadState.decode(state)
        if read.watermark is None:
            return state
        read.gap = self._gap
        read.pending = list(dict.fromkeys([*read.pending, *self._pending]))
        return read.encode()

    # --- writes -----------------------------------------------------------------------------

    def create(self, fields: Mapping[str, Any]) -> RemoteRecord:
        """``POST /contacts`` (``create_source: Account``, target list added).

        A failed attempt is retried only after looking the email up, so a create whose answer
        was lost is never sent twice.

        Raises:
            RecordConflict: the email belongs to another contact (its id and status named).
        """
        body = dict(fields)
        body.setdefault("create_source", "Account")
        lists = list(body.get("list_memberships") or [])
        target = self.ensure_list(self.settings.target_list)
        body["list_memberships"] = lists if target in lists else [*lists, target]
        try:
            return to_record(self._create_once_or_find(body))
        except RecordConflict as exc:
            raise self._explained(exc) from None

    def _create_once_or_find(self, body: dict[str, Any]) -> dict[str, Any]:
        email = email_of(body)
        for attempt in self.client.retrying():
            with attempt:
                if attempt.retry_state.attempt_number > 1 and email:
                    twins = self.find_by_email(email)
                    if twins:
                        return dict(twins[0].fields)
                created: dict[str, Any] = self.client.send("POST", "/contacts", json=body).json()
                return created
        raise AssertionError("unreachable: tenacity reraises")  # pragma: no cover

    def _explained(self, exc: RecordConflict) -> RecordConflict:
        """The 409 with the holder's status looked up."""
        status = None
        if exc.holder_id:
            try:
                status = status_of(self._get(exc.holder_id))
            except SkippableRecordError:
                status = None
        return RecordConflict(
            f"{exc.message} (holder status: {status or 'unknown'})",
            holder_id=exc.holder_id, holder_status=status,
        )  # fmt: skip

    def update(self, record_id: str, fields: Mapping[str, Any]) -> RemoteRecord:
        """Lay ``fields`` over the freshest read of the contact and ``PUT`` the full record.

        A PUT nulls omitted core fields and may reset consent, so the current record is read
        first (one call) and ``permission_to_send`` is carried over unless ``fields`` sets it.
        """
        return self.replace(record_id, put_body(self._get(record_id), fields))

    def replace(self, record_id: str, body: Mapping[str, Any]) -> RemoteRecord:
        """``PUT`` a full contact body as is (for callers holding the freshest full record)."""
        try:
            stored = self.client.call("PUT", f"/contacts/{record_id}", json=dict(body))
        except RecordConflict as exc:
            raise self._explained(exc) from None
        return to_record(stored)

    def delete(self, record_id: str) -> None:
        """Soft-delete a contact; one that is gone already is fine."""
        try:
            self.client.call("DELETE", f"/contacts/{record_id}")
        except RecordNotFound:
            return

    # --- bulk ---------------------------------------------------------------------------------

    def import_contacts(self, rows: list[dict[str, Any]], list_ids: list[str]) -> ImportResult:
        """Bulk-create or update ``rows`` (``JsonImportContact``) into ``list_ids``."""
        self._imported.update(str(r.get("email") or "").strip().casefold() for r in rows)
        return activities.import_contacts(self.client, rows, list_ids)

    def delete_many(self, ids: Sequence[str]) -> ImportResult:
        """Bulk soft-delete ``ids`` (≤ 500 per activity)."""
        return activities.delete_many(self.client, ids)

    def export_contacts(self, run: ExportRun | None = None) -> Iterator[dict[str, Any]]:
        """Active contacts in scope from one bulk export, as partial contact resources.

        Costs O(1) calls (start, status polls, one streamed download) whatever the account
        size, but the CSV has no ``contact_id``, lists, custom fields, addresses or deleted
        contacts (see ``export.py``), so it cannot stand in for ``read_all``.

        Args:
            run: filled in with the activity id, call count and skipped rows.
        """
        scoped = self.settings.scope == "lists"
        lists = [self.ensure_list(self.settings.target_list)] if scoped else []
        return export_contacts(self.client, run or ExportRun(), lists)
