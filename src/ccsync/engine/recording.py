"""Everything a run writes to the store, each in its own short transaction.

A run commits every applied write at once (link + run item in one transaction), so a crash at
any point loses at most the write in flight — which the next run finds again by email.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.trace import TraceEntry
from ccsync.store import repos
from ccsync.store.repos import (
    HeldWrite,
    LinkRow,
    LinkWrite,
    RetryRow,
    RunItemWrite,
)


def utcnow() -> datetime:
    """The current instant, aware UTC."""
    return datetime.now(UTC)


class Recorder:
    """The store operations of one run of one connector.

    Args:
        sessions: the store's session factory.
        connector_id: the connector.
    """

    def __init__(self, sessions: sessionmaker[Session], connector_id: int) -> None:
        self.sessions = sessions
        self.connector_id = connector_id
        self.run_id: int | None = None
        self._lock = threading.Lock()

    # -- run ---------

    def start(self, trigger: str, *, first_run: bool) -> int:
        """Mark runs left ``running`` by a dead process as interrupted and start a new one."""
        with self.sessions.begin() as session:
            repos.interrupt_stale_runs(session, self.connector_id)
            run = repos.start_run(session, self.connector_id, trigger, first_run=first_run)
        self.run_id = run.id
        return run.id

    def finish(self, status: str, counts: dict[str, Any], calls: dict[str, int], **kw: Any) -> None:
        """Record how the run ended (``error``, ``preview_required`` in ``kw``)."""
        if self.run_id is None:
            return
        with self.sessions.begin() as session:
            repos.finish_run(session, self.run_id, status=status, counts=counts, calls=calls, **kw)

    def progress(self, counts: dict[str, Any], calls: dict[str, int]) -> None:
        """Store the counts so far (the UI polls them)."""
        if self.run_id is not None:
            with self.sessions.begin() as session:
                repos.update_run(session, self.run_id, counts=counts, calls=calls)

    # -- reads of the store ---------

    def state(self, side: str) -> str | None:
        """The stored change-read state of ``side``."""
        with self.sessions.begin() as session:
            return repos.get_state(session, self.connector_id, side)

    def links(self) -> list[LinkRow]:
        """Every live link (tombstoned ones included)."""
        with self.sessions.begin() as session:
            return list(repos.iter_links(session, self.connector_id))

    def due_retries(self) -> list[RetryRow]:
        """Retry-queue entries whose next attempt is due."""
        with self.sessions.begin() as session:
            return repos.due_retries(session, self.connector_id)

    def revive_dead(self, source_side: str, record_ids: Sequence[str]) -> None:
        """Dead letters whose records changed again come back to life."""
        ids = list(record_ids)
        for start in range(0, len(ids), 1000):
            with self.sessions.begin() as session:
                repos.reactivate(session, self.connector_id, source_side, ids[start : start + 1000])

    # -- writes ---------

    def applied(self, links: Sequence[LinkWrite], items: Sequence[RunItemWrite]) -> None:
        """Commit applied writes: their links and run items, in one transaction."""
        with self._lock, self.sessions.begin() as session:
            if links:
                repos.upsert_links(session, self.connector_id, links)
            self._items(session, items)

    def tombstoned(self, link_ids: Sequence[int], side: str, items: Sequence[RunItemWrite]) -> None:
        """Tombstone pairs (deleted on ``side``) and record the items."""
        with self._lock, self.sessions.begin() as session:
            if link_ids:
                repos.tombstone_links(session, self.connector_id, list(link_ids), side)
            self._items(session, items)

    def archived(self, link_ids: Sequence[int], items: Sequence[RunItemWrite]) -> None:
        """Unlink pairs (left the scope, delete ignored) and record the items."""
        with self._lock, self.sessions.begin() as session:
            if link_ids:
                repos.archive_links(session, self.connector_id, list(link_ids))
            self._items(session, items)

    def items(self, items: Sequence[RunItemWrite]) -> None:
        """Record run items with no link change (skips)."""
        with self._lock, self.sessions.begin() as session:
            self._items(session, items)

    def _items(self, session: Session, items: Sequence[RunItemWrite]) -> None:
        if items and self.run_id is not None:
            repos.add_run_items(session, self.run_id, list(items))

    def failed(
        self,
        side: str,
        source_side: str,
        record_id: str,
        error: str,
        payload: Mapping[str, Any] | None = None,
    ) -> RetryRow:
        """Count a failed write in the retry queue (dead after 5 attempts); ``payload`` says
        what the write was (``kind``) and when it failed (``failed_at``)."""
        with self._lock, self.sessions.begin() as session:
            return repos.record_failure(
                session,
                self.connector_id,
                side=side,
                source_side=source_side,
                record_id=record_id,
                error=error[:2000],
                payload=payload,
            )

    def succeeded(self, source_side: str, record_ids: Sequence[str]) -> None:
        """Drop retry entries of records that went through."""
        if record_ids:
            with self._lock, self.sessions.begin() as session:
                repos.clear_retries(session, self.connector_id, source_side, list(record_ids))

    def hold(self, held: Sequence[HeldWrite]) -> None:
        """Persist actions held by the circuit breaker."""
        if held:
            with self._lock, self.sessions.begin() as session:
                repos.add_held(session, self.connector_id, list(held), run_id=self.run_id)

    def attention(self, item: Mapping[str, Any]) -> None:
        """List ambiguous duplicates once under "needs attention" (``Action.attention``)."""
        with self._lock, self.sessions.begin() as session:
            repos.add_attention(
                session,
                self.connector_id,
                kind="ambiguous_crm_duplicates",
                email=str(item["email"]),
                candidates=[{**c, "cc_id": item.get("cc_id", "")} for c in item["candidates"]],
            )

    def put_states(self, states: dict[str, str]) -> None:
        """Store the sides' next change-read states (every record acknowledged)."""
        with self.sessions.begin() as session:
            for side, state in states.items():
                repos.put_state(session, self.connector_id, side, state)

    def set_status(self, status: str, detail: str | None = None) -> None:
        """Set the connector's status (reconnect needed, quota…)."""
        with self.sessions.begin() as session:
            repos.set_connector_status(session, self.connector_id, status, detail)

    def debug(self, entries: Iterable[TraceEntry]) -> None:
        """Store traced requests (Debug Mode) of this run."""
        batch = list(entries)
        if batch:
            with self._lock, self.sessions.begin() as session:
                repos.append_debug(session, self.connector_id, self.run_id, batch)
