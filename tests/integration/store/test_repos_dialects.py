"""The repos' dialect-sensitive paths on SQLite and PostgreSQL alike.

Partial-index upserts, JSON columns, aware timestamps and executemany batches behave
differently per dialect, so these run on both.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccsync.store import repos
from ccsync.store.repos import HeldWrite, LinkWrite, RunItemWrite

from .conftest import Db

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_link_upserts_archive_and_stream(db: Db) -> None:
    cid = db.connector_id
    snap = {"email": "a@example.com", "lastname": "Ä"}
    with db.sessions.begin() as session:
        writes = (LinkWrite(f"12x{i}", f"cc-{i}", snap, snap, T0, T0) for i in range(1500))
        assert repos.upsert_links(session, cid, writes) == 1500
    with db.sessions.begin() as session:
        # Updated in place by crm_id; cc-0 moves to a new CRM record (old pair archived).
        repos.upsert_links(
            session, cid, [LinkWrite("12x1", "cc-1", {"v": 2}), LinkWrite("12x9000", "cc-0")]
        )
    with db.sessions() as session:
        rows = {row.crm_id: row for row in repos.iter_links(session, cid, chunk=400)}
        assert repos.count_live_pairs(session, cid) == 1500
        assert repos.count_archived(session, cid) == 1
    assert "12x0" not in rows and rows["12x9000"].cc_id == "cc-0"
    assert rows["12x1"].crm_snapshot == {"v": 2}
    assert rows["12x2"].crm_snapshot == snap and rows["12x2"].cc_updated_at == T0
    with db.sessions.begin() as session:
        assert repos.tombstone_links(session, cid, [rows["12x2"].id], "crm", now=T0) == 1
        assert repos.archive_links(session, cid) == 1500
        repos.upsert_links(session, cid, [LinkWrite("12x2", "cc-2")])
        assert repos.count_live_pairs(session, cid) == 1


def test_runs_items_retries_and_held(db: Db) -> None:
    cid = db.connector_id
    with db.sessions.begin() as session:
        run = repos.start_run(session, cid, "manual", now=T0)
        repos.add_run_items(
            session,
            run.id,
            [RunItemWrite("cc", "created", crm_id=f"12x{i}", diff={"n": i}) for i in range(1200)],
        )
        repos.finish_run(session, run.id, status="ok", counts={"cc": {"created": 1200}})
        entry = repos.record_failure(
            session, cid, side="cc", source_side="crm", record_id="12x1", error="503", now=T0
        )
        repos.add_held(session, cid, [HeldWrite("cc", "delete", crm_id="12x5")], run_id=run.id)
    assert entry.next_attempt_at == T0 + repos.backoff(1)
    with db.sessions.begin() as session:
        page = repos.list_run_items(session, run.id, side="cc", action="created", offset=1190)
        assert [i.diff for i in page] == [{"n": i} for i in range(1190, 1200)]
        assert len(list(repos.iter_run_items(session, run.id, chunk=500))) == 1200
        assert repos.due_retries(session, cid, now=T0) == []
        due = repos.due_retries(session, cid, now=T0 + timedelta(hours=1))
        assert [d.record_id for d in due] == ["12x1"]
        assert [h.crm_id for h in repos.pop_held(session, cid)] == ["12x5"]
        got = repos.get_run(session, run.id)
    assert got is not None and got.started_at == T0 and got.counts == {"cc": {"created": 1200}}
