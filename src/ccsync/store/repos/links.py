"""The link table: which CRM contact is paired with which CC contact, with snapshots.

Built for 100,000 pairs: ``iter_links`` streams one query in chunks (``yield_per``), and
``upsert_links`` writes batches with one ``executemany`` upsert per chunk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from sqlalchemy import ColumnElement, Select, TextClause, func, select, true, update
from sqlalchemy.orm import Session

from ccsync.store.models import LIVE, Link, utcnow
from ccsync.store.repos._convert import columns_for
from ccsync.store.repos.rows import LinkRow, LinkWrite
from ccsync.store.upsert import dialect_insert, rowcount

CHUNK = 1000  # rows per executemany / IN list; far below SQLite's variable limit
STREAM_CHUNK = 5000

_COLUMNS = columns_for(LinkRow, Link.__table__)


def _live(connector_id: int) -> tuple[ColumnElement[bool], TextClause]:
    # The exact predicate of the partial indexes, so SQLite's planner can use them.
    return (Link.connector_id == connector_id, LIVE)


def _select_live(connector_id: int) -> Select[Any]:
    return select(*_COLUMNS).where(*_live(connector_id))


def get_link_by_crm(session: Session, connector_id: int, crm_id: str) -> LinkRow | None:
    """The live link of CRM record ``crm_id``, or None."""
    row = session.execute(_select_live(connector_id).where(Link.crm_id == crm_id)).first()
    return None if row is None else LinkRow(*row)


def get_link_by_cc(session: Session, connector_id: int, cc_id: str) -> LinkRow | None:
    """The live link of CC contact ``cc_id``, or None."""
    row = session.execute(_select_live(connector_id).where(Link.cc_id == cc_id)).first()
    return None if row is None else LinkRow(*row)


def iter_links(
    session: Session, connector_id: int, *, chunk: int = STREAM_CHUNK
) -> Iterator[LinkRow]:
    """Every live link (tombstoned ones included), streamed by one query in chunks.

    The session must stay open while the iterator is consumed.
    """
    stmt = _select_live(connector_id).order_by(Link.id).execution_options(yield_per=chunk)
    # Core execution on the session's connection: the ORM layer would triple the cost here.
    for row in session.connection().execute(stmt):
        yield LinkRow(*row)


def count_live_pairs(session: Session, connector_id: int) -> int:
    """Linked pairs that are neither archived nor tombstoned (the circuit breaker's base)."""
    stmt = (
        select(func.count())
        .select_from(Link)
        .where(*_live(connector_id), Link.tombstoned_at.is_(None))
    )
    return int(session.scalar(stmt) or 0)


def _chunks(items: Iterable[LinkWrite], size: int) -> Iterator[list[LinkWrite]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


def upsert_links(
    session: Session, connector_id: int, writes: Iterable[LinkWrite], now: datetime | None = None
) -> int:
    """Store pairs in batches; each write becomes the live pair of both its ids.

    A live link with the same ``crm_id`` is updated in place (its ``cc_id`` may change). A live
    link that holds the same ``cc_id`` with another ``crm_id`` is archived first: the CC contact
    now belongs to the new pair (a CC revival paired with a new Vtiger record).

    Args:
        session: an open session (the caller commits).
        connector_id: the connector.
        writes: the pairs; within one call each ``crm_id`` and each ``cc_id`` at most once.
        now: the time stamped on the rows.

    Returns:
        How many writes were stored.
    """
    stamp = now or utcnow()
    total = 0
    for batch in _chunks(writes, CHUNK):
        _archive_cc_holders(session, connector_id, batch, stamp)
        params = [_params(connector_id, w, stamp) for w in batch]
        session.connection().execute(_upsert_stmt(session), params)
        total += len(batch)
    return total


_WRITE_FIELDS = tuple(LinkWrite.__dataclass_fields__)


def _params(connector_id: int, write: LinkWrite, stamp: datetime) -> dict[str, Any]:
    # Shallow on purpose: dataclasses.asdict deep-copies every snapshot (half the write time).
    return {
        **{name: getattr(write, name) for name in _WRITE_FIELDS},
        "connector_id": connector_id,
        "archived": False,
        "created_at": stamp,
        "updated_at": stamp,
    }


def _upsert_stmt(session: Session) -> Any:
    stmt = dialect_insert(session, Link)
    kept = set(_WRITE_FIELDS) | {"updated_at"}
    return stmt.on_conflict_do_update(
        index_elements=[Link.connector_id, Link.crm_id],
        index_where=LIVE,
        set_={name: stmt.excluded[name] for name in kept if name != "crm_id"},
    )


def _archive_cc_holders(
    session: Session, connector_id: int, batch: Sequence[LinkWrite], stamp: datetime
) -> None:
    wanted = {w.cc_id: w.crm_id for w in batch}
    stmt = select(Link.id, Link.cc_id, Link.crm_id).where(
        *_live(connector_id), Link.cc_id.in_(wanted)
    )
    stale = [row.id for row in session.execute(stmt) if wanted[row.cc_id] != row.crm_id]
    if stale:
        session.execute(
            update(Link).where(Link.id.in_(stale)).values(archived=true(), updated_at=stamp)
        )


def tombstone_links(
    session: Session,
    connector_id: int,
    link_ids: Sequence[int],
    side: str,
    now: datetime | None = None,
) -> int:
    """Mark pairs as deleted on ``side`` so they never come back without a newer change.

    Returns:
        How many links were tombstoned.
    """
    stamp = now or utcnow()
    total = 0
    for start in range(0, len(link_ids), CHUNK):
        stmt = (
            update(Link)
            .where(*_live(connector_id), Link.id.in_(link_ids[start : start + CHUNK]))
            .values(tombstoned_at=stamp, tombstone_side=side, updated_at=stamp)
        )
        total += rowcount(session.execute(stmt))
    return total


def archive_links(
    session: Session,
    connector_id: int,
    link_ids: Sequence[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Unlink pairs (records left the scope), or all of them when ``link_ids`` is None
    (another CC account signed in).

    Returns:
        How many links were archived.
    """
    stamp = now or utcnow()
    base = update(Link).where(*_live(connector_id)).values(archived=true(), updated_at=stamp)
    if link_ids is None:
        return rowcount(session.execute(base))
    total = 0
    for start in range(0, len(link_ids), CHUNK):
        chunk = link_ids[start : start + CHUNK]
        total += rowcount(session.execute(base.where(Link.id.in_(chunk))))
    return total


def count_archived(session: Session, connector_id: int) -> int:
    """Archived (no longer live) links of the connector."""
    stmt = (
        select(func.count())
        .select_from(Link)
        .where(Link.connector_id == connector_id, Link.archived.is_(True))
    )
    return int(session.scalar(stmt) or 0)


def mark_pending(
    session: Session,
    connector_id: int,
    link_ids: Sequence[int],
    reason: str,
    now: datetime | None = None,
) -> int:
    """Keep a refused write of these pairs pending (``reason``); the next stored write of a
    pair clears it.

    Returns:
        How many links were marked.
    """
    stamp = now or utcnow()
    stmt = (
        update(Link)
        .where(*_live(connector_id), Link.id.in_(list(link_ids)))
        .values(pending=reason, updated_at=stamp)
    )
    return rowcount(session.execute(stmt))


def list_pending(session: Session, connector_id: int) -> list[LinkRow]:
    """Live pairs with a refused write pending (shown under "needs attention")."""
    stmt = _select_live(connector_id).where(
        Link.pending.is_not(None),
        Link.tombstoned_at.is_(None),
        Link.pending.not_like("deleted:%"),  # failed deletes are listed with the retries
    )
    stmt = stmt.order_by(Link.id)
    return [LinkRow(*row) for row in session.execute(stmt)]
