"""Runs, run items (drill-down, paging, streaming) and the debug log."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ccsync.connectors.trace import MAX_BODY, TraceEntry
from ccsync.store import repos
from ccsync.store.repos import RunItemWrite

from .conftest import Store

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def test_run_lifecycle_and_listing(store: Store) -> None:
    cid = store.connector_id
    with store.sessions.begin() as session:
        first = repos.start_run(session, cid, "schedule", first_run=True, now=T0)
        repos.update_run(session, first.id, counts={"cc": {"created": 1}})
        done = repos.finish_run(
            session,
            first.id,
            status="preview",
            counts={"cc": {"created": 150}, "crm": {"created": 0}},
            calls={"cc": 3, "crm": 4},
            preview_required=True,
            now=T0 + timedelta(seconds=5),
        )
        second = repos.start_run(session, cid, "manual", now=T0 + timedelta(minutes=1))
    assert done.status == "preview" and done.preview_required and done.first_run
    assert done.ended_at == T0 + timedelta(seconds=5)
    with store.sessions() as session:
        got = repos.get_run(session, first.id)
        listed = repos.list_runs(session, cid)
        assert repos.list_runs(session, cid, limit=1, offset=1)[0].id == first.id
    assert (
        got is not None and got.counts["cc"]["created"] == 150 and got.calls == {"cc": 3, "crm": 4}
    )
    assert [r.id for r in listed] == [second.id, first.id]


def test_stale_running_runs_are_marked_interrupted(store: Store) -> None:
    with store.sessions.begin() as session:
        crashed = repos.start_run(session, store.connector_id, "schedule")
        finished = repos.start_run(session, store.connector_id, "manual")
        repos.finish_run(session, finished.id, status="ok")
    with store.sessions.begin() as session:
        assert repos.interrupt_stale_runs(session, store.connector_id) == 1
    with store.sessions() as session:
        got = repos.get_run(session, crashed.id)
        assert got is not None and got.status == "interrupted" and got.ended_at is not None
        again = repos.get_run(session, finished.id)
        assert again is not None and again.status == "ok"


def _items() -> list[RunItemWrite]:
    items = [
        RunItemWrite("cc", "created", crm_id=f"12x{i}", cc_id=f"cc-{i}", record_name=f"N{i}")
        for i in range(30)
    ]
    items += [
        RunItemWrite("crm", "skipped", cc_id=f"cc-s{i}", reason="no_email", message="no email")
        for i in range(12)
    ]
    items.append(
        RunItemWrite(
            "crm",
            "updated",
            crm_id="12x99",
            cc_id="cc-99",
            diff={"lastname": ["A", "B"]},
            conflict={"title": {"crm": "CEO", "cc": "CTO", "winner": "cc"}},
        )
    )
    return items


def test_run_items_drill_down_paging_and_stream(store: Store) -> None:
    with store.sessions.begin() as session:
        run = repos.start_run(session, store.connector_id, "manual")
        assert repos.add_run_items(session, run.id, _items()) == 43
    with store.sessions() as session:
        page1 = repos.list_run_items(session, run.id, side="cc", action="created", limit=20)
        page2 = repos.list_run_items(
            session, run.id, side="cc", action="created", limit=20, offset=20
        )
        skipped = repos.list_run_items(session, run.id, side="crm", action="skipped")
        assert repos.count_run_items(session, run.id, side="cc", action="created") == 30
        assert repos.count_run_items(session, run.id, reason="no_email") == 12
        assert repos.count_run_items(session, run.id) == 43
        streamed = list(repos.iter_run_items(session, run.id, side="crm", chunk=5))
    assert len(page1) == 20 and len(page2) == 10
    assert [i.record_name for i in page1 + page2] == [f"N{i}" for i in range(30)]
    assert {i.reason for i in skipped} == {"no_email"} and len(skipped) == 12
    assert len(streamed) == 13
    updated = streamed[-1]
    assert updated.diff == {"lastname": ["A", "B"]}
    assert updated.conflict is not None and updated.conflict["title"]["winner"] == "cc"


def _entry(at: datetime, body: str = "{}") -> TraceEntry:
    return TraceEntry(
        at=at,
        method="GET",
        url="https://api.example/v3/contacts?access_token=LEAKED",
        status=200,
        duration_ms=12.5,
        request_headers={"authorization": "***"},
        request_body="",
        response_headers={"content-type": "application/json"},
        response_body=body,
    )


def test_debug_log_append_list_cap_and_purge(store: Store) -> None:
    old, new = T0 - timedelta(days=40), T0
    with store.sessions.begin() as session:
        run = repos.start_run(session, store.connector_id, "manual")
        big = "y" * (MAX_BODY * 3)
        entries = [_entry(old), _entry(new, big), _entry(new)]
        assert repos.append_debug(session, store.connector_id, run.id, entries) == 3
    with store.sessions.begin() as session:
        rows = repos.list_debug(session, run.id)
        assert [r.at for r in rows] == [old, new, new]
        assert len(rows[1].response_body) <= MAX_BODY + 200
        assert "LEAKED" not in rows[0].url
        assert rows[0].request_headers == {"authorization": "***"}
        assert len(list(repos.iter_debug(session, run.id, chunk=2))) == 3
        assert repos.purge_debug(session, T0 - timedelta(days=30)) == 1
    with store.sessions() as session:
        assert [r.at for r in repos.list_debug(session, run.id)] == [new, new]
