"""Links: upserts with snapshots, live uniqueness, tombstones, archiving, streaming."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy.exc import IntegrityError

from ccsync.store import repos
from ccsync.store.repos import LinkWrite

from .conftest import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _write(store: Store, *writes: LinkWrite) -> None:
    with store.sessions.begin() as session:
        repos.upsert_links(session, store.connector_id, writes)


def test_upsert_inserts_then_updates_in_place(store: Store) -> None:
    cid = store.connector_id
    _write(store, LinkWrite("12x1", "cc-1", {"lastname": "Old"}, {"lastname": "Old"}, T0, T0))
    with store.sessions() as session:
        first = repos.get_link_by_crm(session, cid, "12x1")
    assert first is not None and first.crm_snapshot == {"lastname": "Old"}
    assert first.crm_updated_at == T0 and not first.tombstoned and not first.archived
    _write(store, LinkWrite("12x1", "cc-1", {"lastname": "New"}, {"lastname": "New"}))
    with store.sessions() as session:
        second = repos.get_link_by_cc(session, cid, "cc-1")
        assert repos.count_live_pairs(session, cid) == 1
    assert second is not None and second.id == first.id
    assert second.crm_snapshot == {"lastname": "New"} and second.crm_updated_at is None


def test_cc_id_taken_by_new_pair_archives_the_old_pair(store: Store) -> None:
    cid = store.connector_id
    _write(store, LinkWrite("12x1", "cc-1"))
    with store.sessions.begin() as session:
        old = repos.get_link_by_crm(session, cid, "12x1")
        assert old is not None
        repos.tombstone_links(session, cid, [old.id], "crm")
    _write(store, LinkWrite("12x9", "cc-1", cc_permission="implicit"))
    with store.sessions() as session:
        assert repos.get_link_by_crm(session, cid, "12x1") is None
        new = repos.get_link_by_cc(session, cid, "cc-1")
        assert repos.count_archived(session, cid) == 1
    assert new is not None and new.crm_id == "12x9" and new.cc_permission == "implicit"


def test_live_ids_are_unique_in_the_database(store: Store) -> None:
    # The repos keep pairs consistent; the partial unique indexes are the last guard.
    from ccsync.store.models import Link

    with pytest.raises(IntegrityError), store.sessions.begin() as session:
        session.add(Link(connector_id=store.connector_id, crm_id="12x1", cc_id="a"))
        session.add(Link(connector_id=store.connector_id, crm_id="12x1", cc_id="b"))
        session.flush()
    with store.sessions.begin() as session:
        session.add(Link(connector_id=store.connector_id, crm_id="12x1", cc_id="a", archived=True))
        session.add(Link(connector_id=store.connector_id, crm_id="12x1", cc_id="a"))


def test_tombstone_and_relink_lifts_it(store: Store) -> None:
    cid = store.connector_id
    _write(store, LinkWrite("12x1", "cc-1"), LinkWrite("12x2", "cc-2"))
    with store.sessions.begin() as session:
        link = repos.get_link_by_crm(session, cid, "12x1")
        assert link is not None
        assert repos.tombstone_links(session, cid, [link.id], "cc", now=T0) == 1
    with store.sessions() as session:
        dead = repos.get_link_by_crm(session, cid, "12x1")
        assert dead is not None and dead.tombstoned_at == T0 and dead.tombstone_side == "cc"
        assert repos.count_live_pairs(session, cid) == 1
    _write(store, LinkWrite("12x1", "cc-1"))  # restored from the Recycle Bin, re-linked
    with store.sessions() as session:
        back = repos.get_link_by_crm(session, cid, "12x1")
        assert back is not None and not back.tombstoned and back.id == link.id
        assert repos.count_live_pairs(session, cid) == 2


def test_archive_selected_and_all(store: Store) -> None:
    cid = store.connector_id
    _write(store, *(LinkWrite(f"12x{i}", f"cc-{i}") for i in range(5)))
    with store.sessions.begin() as session:
        one = repos.get_link_by_crm(session, cid, "12x0")
        assert one is not None
        assert repos.archive_links(session, cid, [one.id]) == 1
        assert [link.crm_id for link in repos.iter_links(session, cid)] == [
            "12x1",
            "12x2",
            "12x3",
            "12x4",
        ]
        assert repos.archive_links(session, cid) == 4
        assert list(repos.iter_links(session, cid)) == []
        assert repos.count_archived(session, cid) == 5
    # Archived pairs never block a new pairing of the same ids.
    _write(store, LinkWrite("12x0", "cc-0"))
    with store.sessions() as session:
        assert repos.count_live_pairs(session, cid) == 1


def test_bulk_upsert_and_stream_many(store: Store) -> None:
    cid = store.connector_id
    n = 2500  # more than one write chunk and one stream chunk
    snap = {"email": "x@example.com", "lastname": "L"}
    with store.sessions.begin() as session:
        stored = repos.upsert_links(
            session, cid, (LinkWrite(f"12x{i}", f"cc-{i}", snap, snap) for i in range(n))
        )
    assert stored == n
    with store.sessions() as session:
        rows = list(repos.iter_links(session, cid, chunk=700))
        assert repos.count_live_pairs(session, cid) == n
    assert len(rows) == n and len({r.cc_id for r in rows}) == n
    assert rows[-1].crm_snapshot == snap
    # A second pass updates every pair in place.
    with store.sessions.begin() as session:
        repos.upsert_links(session, cid, (LinkWrite(f"12x{i}", f"cc-{i}") for i in range(n)))
    with store.sessions() as session:
        rows2 = list(repos.iter_links(session, cid))
    assert [r.id for r in rows2] == [r.id for r in rows]
    assert all(r.crm_snapshot is None for r in rows2)


def test_links_are_per_connector(store: Store) -> None:
    with store.sessions.begin() as session:
        other = repos.create_connector(session, "other", store.user_id)
        repos.upsert_links(session, store.connector_id, [LinkWrite("12x1", "cc-1")])
        repos.upsert_links(session, other.id, [LinkWrite("12x1", "cc-1")])
        assert repos.count_live_pairs(session, other.id) == 1
        assert repos.get_link_by_crm(session, other.id, "12x2") is None
