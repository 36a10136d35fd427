"""Retry queue (backoff, dead letters), held actions, attention items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccsync.store import repos
from ccsync.store.repos import HeldWrite

from .conftest import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _fail(store: Store, record_id: str, now: datetime, error: str = "HTTP 503") -> repos.RetryRow:
    with store.sessions.begin() as session:
        return repos.record_failure(
            session,
            store.connector_id,
            side="cc",
            source_side="crm",
            record_id=record_id,
            error=error,
            payload={"version": now.isoformat()},
            now=now,
        )


def test_backoff_grows_exponentially_and_is_capped() -> None:
    assert [repos.backoff(n, base=60).total_seconds() for n in (1, 2, 3, 4)] == [60, 120, 240, 480]
    assert repos.backoff(30).total_seconds() == 6 * 3600


def test_failures_back_off_then_become_dead_letters(store: Store) -> None:
    now = T0
    for attempt in range(1, repos.MAX_ATTEMPTS + 1):
        entry = _fail(store, "12x1", now, error=f"failure {attempt}")
        assert entry.attempts == attempt
        assert entry.next_attempt_at == now + repos.backoff(attempt)
        assert entry.dead == (attempt == repos.MAX_ATTEMPTS)
        with store.sessions() as session:
            just_before = entry.next_attempt_at - timedelta(seconds=1)
            assert repos.due_retries(session, store.connector_id, now=just_before) == []
            due = repos.due_retries(session, store.connector_id, now=entry.next_attempt_at)
            assert [d.record_id for d in due] == ([] if entry.dead else ["12x1"])
        now = entry.next_attempt_at
    with store.sessions() as session:
        dead = repos.list_retries(session, store.connector_id, dead=True)
    assert [(d.record_id, d.attempts, d.last_error) for d in dead] == [("12x1", 5, "failure 5")]


def test_dead_letters_come_back_on_change_or_retry_now(store: Store) -> None:
    for record_id in ("12x1", "12x2"):
        for _ in range(repos.MAX_ATTEMPTS):
            _fail(store, record_id, T0)
    cid = store.connector_id
    with store.sessions.begin() as session:
        assert repos.reactivate(session, cid, "crm", ["12x1", "12x404"], now=T0) == 1
        assert [d.record_id for d in repos.due_retries(session, cid, now=T0)] == ["12x1"]
        assert repos.retry_now(session, cid, now=T0) == 1  # the remaining dead letter
        due = repos.due_retries(session, cid, now=T0)
    assert sorted(d.record_id for d in due) == ["12x1", "12x2"]
    assert all(d.attempts == 0 and not d.dead for d in due)


def test_success_clears_the_entry(store: Store) -> None:
    _fail(store, "12x1", T0)
    _fail(store, "12x2", T0)
    with store.sessions.begin() as session:
        assert repos.clear_retries(session, store.connector_id, "crm", ["12x1"]) == 1
        assert repos.clear_retries(session, store.connector_id, "cc", ["12x2"]) == 0
        left = repos.list_retries(session, store.connector_id)
    assert [e.record_id for e in left] == ["12x2"]


def test_held_actions_are_listed_counted_and_popped(store: Store) -> None:
    cid = store.connector_id
    deletes = [HeldWrite("cc", "delete", crm_id=f"12x{i}", cc_id=f"cc-{i}") for i in range(6)]
    creates = [HeldWrite("crm", "create", cc_id="cc-new", payload={"lastname": "N"})]
    with store.sessions.begin() as session:
        run = repos.start_run(session, cid, "schedule")
        assert repos.add_held(session, cid, deletes + creates, run_id=run.id) == 7
        assert repos.add_held(session, cid, deletes[:2]) == 0  # held once only
        assert repos.count_held(session, cid) == {("cc", "delete"): 6, ("crm", "create"): 1}
        held = repos.list_held(session, cid, side="cc", action="delete")
        assert [h.crm_id for h in held] == [f"12x{i}" for i in range(6)]
        assert held[0].run_id == run.id
        popped = repos.pop_held(session, cid, [held[0].id, held[1].id])
        assert [h.cc_id for h in popped] == ["cc-0", "cc-1"]
    with store.sessions.begin() as session:
        rest = repos.pop_held(session, cid)
        assert len(rest) == 5 and rest[-1].payload == {"lastname": "N"}
        assert repos.list_held(session, cid) == []
        assert repos.pop_held(session, cid) == []


def test_attention_is_listed_once_per_email(store: Store) -> None:
    cid = store.connector_id
    candidates = [{"crm_id": "12x1", "name": "A"}, {"crm_id": "12x2", "name": "B"}]
    with store.sessions.begin() as session:
        assert repos.add_attention(
            session, cid, kind="ambiguous_crm_duplicates", email="a@x.org", candidates=candidates
        )
        for _ in range(3):  # later runs see the same duplicates again
            assert not repos.add_attention(
                session,
                cid,
                kind="ambiguous_crm_duplicates",
                email="a@x.org",
                candidates=candidates,
            )
        items = repos.list_attention(session, cid)
        assert len(items) == 1 and items[0].candidates == candidates
        assert repos.resolve_attention(session, items[0].id)
        assert not repos.resolve_attention(session, 9999)
        assert repos.list_attention(session, cid) == []
        # Resolved with the same candidates: stays resolved; a new duplicate reopens it.
        kwargs = {"kind": "ambiguous_crm_duplicates", "email": "a@x.org"}
        assert not repos.add_attention(session, cid, candidates=candidates, **kwargs)
        assert repos.list_attention(session, cid) == []
        more = [*candidates, {"crm_id": "12x3", "name": "C"}]
        assert repos.add_attention(session, cid, candidates=more, **kwargs)
        reopened = repos.list_attention(session, cid)
    assert len(reopened) == 1 and reopened[0].candidates == more and not reopened[0].resolved
