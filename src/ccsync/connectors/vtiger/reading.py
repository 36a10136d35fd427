"""One change read: feed, scope, deletions, and the next state.

Order of a read: log in (or ``me``), read the change feed (keyset query, or ``sync`` where it
works), fold the changed records into the inventory, then check deletions — on the first run the
full read is the inventory; when the daily full scan is due, list every id; otherwise one
``count(*)`` and, only when it disagrees, the bisection of ``deletions.py``.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ccsync.connectors.vtiger import vtql
from ccsync.connectors.vtiger.changes import (
    FeedResult,
    keyset_feed,
    lookback,
    sync_feed,
    to_epoch,
    to_text,
    version_of,
)
from ccsync.connectors.vtiger.client import VtigerClient
from ccsync.connectors.vtiger.deletions import Bisection, InventoryMismatch, ScopeQueries
from ccsync.connectors.vtiger.describe import MODULE, OWNER_FIELD
from ccsync.connectors.vtiger.errors import ServerFailure
from ccsync.connectors.vtiger.scope import classify
from ccsync.connectors.vtiger.session import Identity
from ccsync.connectors.vtiger.settings import VtigerSettings
from ccsync.connectors.vtiger.state import VtigerState
from ccsync.errors import SkippableRecordError, SyncError

PROBE_INTERVAL = 86400.0


@dataclass(slots=True)
class ReadOutcome:
    """The raw result of one read, before it becomes a ``ChangeSet``."""

    records: list[dict[str, Any]]
    state: VtigerState
    deleted: list[str] = field(default_factory=list)
    out_of_scope: list[str] = field(default_factory=list)
    complete: bool = False


class ChangeReader:
    """Reads what changed since a state, for one user and scope."""

    def __init__(
        self,
        settings: VtigerSettings,
        client: VtigerClient,
        describe_prefix: Callable[[], str],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._settings = settings
        self._client = client
        self._describe_prefix = describe_prefix
        self._clock = clock
        self._zone = settings.zone()

    def read(self, state: VtigerState, ident: Identity, owner: str | None) -> ReadOutcome:
        """Everything that changed since ``state`` (which is updated in place)."""
        now = self._clock()
        server_now = now + ident.server_offset
        full_due = now - state.full_scan_at >= self._settings.full_scan_interval
        mode = self._mode(state, ident, owner, now, full_due)
        feed = self._feed(state, mode, owner, server_now)
        outcome = ReadOutcome(records=[], state=state)
        self._absorb(outcome, feed, owner)
        queries = ScopeQueries(self._client, state.prefix, owner)
        if state.first_run:
            state.full_scan_at = now
            outcome.complete = True
        elif full_due:
            self._full_scan(outcome, queries, ident, now)
        else:
            self._count_check(outcome, queries, ident, now)
        self._advance(state, outcome.records, feed, server_now)
        return outcome

    # -- feed ---------------------------------------------------------------------------------

    def _mode(
        self, state: VtigerState, ident: Identity, owner: str | None, now: float, due: bool
    ) -> str:
        if self._settings.flavour == "restapi":
            return "sync"
        # Webservice sync only sees the session user's own records: useless for "all".
        if owner is None:
            return "query"
        if state.sync_ok is None or (due and now - state.probed_at >= PROBE_INTERVAL):
            state.sync_ok = self._probe(now)
            state.probed_at = now
        return "sync" if state.sync_ok else "query"

    def _probe(self, now: float) -> bool:
        """Whether ``operation=sync`` works here (HTTP 500 on Vtiger 8 with PHP 8)."""
        try:
            self._client.sync(int(now) - 60, MODULE, None, retry=False)
        except (ServerFailure, SyncError):
            return False
        return True

    def _feed(
        self, state: VtigerState, mode: str, owner: str | None, server_now: float
    ) -> FeedResult:
        since: int | None = None
        if state.watermark is not None:
            since = state.watermark - lookback(state.watermark, server_now, self._zone)
        if mode == "sync":
            try:
                return self._sync(since, owner, state)
            except ServerFailure:
                if self._settings.flavour == "restapi":
                    raise
                # The probe said yes but the server fails now: use the keyset query instead.
                state.sync_ok = False
        text = to_text(since, self._zone) if since is not None else None
        return keyset_feed(self._client, since=text, owner=owner, seen=state.seen, zone=self._zone)

    def _sync(self, since: int | None, owner: str | None, state: VtigerState) -> FeedResult:
        sync_type = None
        if self._settings.flavour == "restapi":
            sync_type = "user" if owner else "application"
        return sync_feed(
            self._client, since=since or 0, sync_type=sync_type, seen=state.seen, zone=self._zone
        )

    def _absorb(self, outcome: ReadOutcome, feed: FeedResult, owner: str | None) -> None:
        state = outcome.state
        for row in feed.records:
            number = self._number(state, str(row.get("id", "")))
            if number is None:
                continue
            if owner and str(row.get(OWNER_FIELD, "")) != owner:
                if state.remove(number):
                    outcome.out_of_scope.append(str(row["id"]))
                continue
            state.add(number)
            outcome.records.append(row)
        for record_id in feed.deleted:
            number = self._number(state, record_id)
            if number is not None and state.remove(number):
                outcome.deleted.append(record_id)

    @staticmethod
    def _number(state: VtigerState, record_id: str) -> int | None:
        try:
            prefix, number = vtql.split_id(record_id)
        except SkippableRecordError:
            return None
        if not state.prefix:
            state.prefix = prefix
        return number if prefix == state.prefix else None

    # -- deletions ----------------------------------------------------------------------------

    def _count_check(
        self, outcome: ReadOutcome, queries: ScopeQueries, ident: Identity, now: float
    ) -> None:
        inventory = outcome.state.inventory
        high = inventory[-1] if inventory else None
        server_count = queries.count_upto(high)
        if server_count == len(inventory):
            return
        if server_count > len(inventory):
            self._full_scan(outcome, queries, ident, now)
            return
        bisection = Bisection(queries.count_range, queries.present)
        try:
            missing = bisection.run(inventory, server_count)
        except InventoryMismatch:
            self._full_scan(outcome, queries, ident, now)
            return
        self._settle(outcome, missing, queries, ident)

    def _full_scan(
        self, outcome: ReadOutcome, queries: ScopeQueries, ident: Identity, now: float
    ) -> None:
        state = outcome.state
        if not queries.prefix:
            queries.prefix = state.prefix = self._describe_prefix()
        live = queries.all_numbers()
        live_set = set(live)
        missing = [n for n in state.inventory if n not in live_set]
        unknown = [n for n in live if not state.holds(n)]
        self._settle(outcome, missing, queries, ident)
        self._fetch_unknown(outcome, unknown, queries)
        state.inventory = live
        state.full_scan_at = now

    def _settle(
        self, outcome: ReadOutcome, missing: list[int], queries: ScopeQueries, ident: Identity
    ) -> None:
        verdict = classify(missing, queries, self._client, is_admin=ident.is_admin)
        prefix = outcome.state.prefix
        for number in missing:
            outcome.state.remove(number)
        outcome.deleted.extend(vtql.ws_id(prefix, n) for n in verdict.deleted)
        outcome.out_of_scope.extend(vtql.ws_id(prefix, n) for n in verdict.out_of_scope)

    def _fetch_unknown(
        self, outcome: ReadOutcome, unknown: list[int], queries: ScopeQueries
    ) -> None:
        """Records the feed never showed (restored, missed): returned as changed records."""
        have = {str(r.get("id")) for r in outcome.records}
        also = [vtql.cond(OWNER_FIELD, "=", queries.owner)] if queries.owner else []
        for start in range(0, len(unknown), vtql.MAX_ROWS):
            ids = [vtql.ws_id(queries.prefix, n) for n in unknown[start : start + vtql.MAX_ROWS]]
            query = vtql.select(MODULE, where=[[vtql.in_list("id", ids)]], also=also)
            outcome.records.extend(r for r in self._client.query(query) if r.get("id") not in have)

    # -- watermark ----------------------------------------------------------------------------

    def _advance(
        self, state: VtigerState, records: list[dict[str, Any]], feed: FeedResult, now: float
    ) -> None:
        """Trail the newest record by a second, never past the server clock at read start."""
        current = state.watermark if state.watermark is not None else 0
        if feed.newest is not None:
            current = max(current, min(feed.newest, math.floor(now)) - 1)
        state.watermark = current
        seen = {k: v for k, v in state.seen.items() if v[0] > current}
        for row in records:
            stamp = to_epoch(str(row.get("modifiedtime", "")), self._zone)
            if stamp > current:
                seen[str(row["id"])] = version_of(row, stamp)
        state.seen = seen
