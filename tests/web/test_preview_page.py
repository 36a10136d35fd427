"""Issue 11 item 1: a first run that stopped at its Preview is said on the Sync window and the Sync
Log, and its Preview shows both sides, filters by side, action and reason, pages, and offers
Confirm and Discard at the top."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker
from starlette.testclient import TestClient

from ccsync.jobs.backend import EnqueueResult
from ccsync.store.models import Run
from ccsync.store.repos.audit import list_events
from ccsync.store.repos.rows import RunItemWrite
from ccsync.store.repos.runs import add_run_items, finish_run, start_run

from .conftest import WebEnv, csrf

STARTED = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
BANNER = "First sync stopped at its Preview: 120 creates, 7 overwrites"


def held_first_run(
    env: WebEnv | sessionmaker[Session], connector_id: int, *, trigger: str = "manual", at: int = 0
) -> int:
    """A first run stopped at its Preview: 7 Vtiger updates, 3 Vtiger skips (no last name),
    then 120 Constant Contact creates (the engine stores the Vtiger side first)."""
    items = [
        RunItemWrite("crm", "updated", crm_id=f"12x{n}", cc_id=f"c-{n}", record_name=f"Upd {n}",
                     diff={"title": ["", f"T{n}"]})
        for n in range(7)
    ] + [
        RunItemWrite("crm", "skipped", cc_id=f"c-s{n}", record_name=f"Skip {n}",
                     reason="no_last_name", message="Vtiger requires a last name")
        for n in range(3)
    ] + [
        RunItemWrite("cc", "created", crm_id=f"12x{100 + n}", record_name=f"Person {n:03d}")
        for n in range(120)
    ]  # fmt: skip
    counts = {
        "cc": {"created": 120},
        "crm": {"updated": 7, "skipped": 3},
        "matching": {"matched": 7, "ambiguous": 1},
    }
    sessions = env.ctx.sessions if isinstance(env, WebEnv) else env
    with sessions.begin() as session:
        run = start_run(session, connector_id, trigger, first_run=True,
                        now=STARTED + timedelta(minutes=at))  # fmt: skip
        add_run_items(session, run.id, items)
        finish_run(session, run.id, status="preview", counts=counts, preview_required=True)
    return run.id


def test_the_sync_window_and_the_log_say_a_first_run_waits_and_link_to_its_preview(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    assert BANNER not in admin_client.get("/").text
    held_first_run(env, cid)
    link = f'<a href="/connectors/{cid}/preview">Review and confirm</a>'
    for path in ("/", f"/connectors/{cid}/log"):
        page = admin_client.get(path).text
        assert f"{BANNER} — {link}" in page, path
    other = admin_client.get("/").text.split("Joe CC")[1]
    assert "First sync stopped" not in other, "only the connector whose first run waits"


def test_the_sync_window_does_not_call_a_preview_a_sync(
    admin_client: TestClient, env: WebEnv
) -> None:
    held_first_run(env, env.admin_connector)
    page = admin_client.get("/").text.split("Joe CC")[0]
    assert "Last Preview: 2026-03-02 09:00 (planned, not applied)" in page
    assert "Last sync:" not in page and "Last run: preview" not in page


def test_the_preview_shows_both_sides_a_page_at_a_time_with_confirm_and_discard_on_top(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/preview").text
    top = page.index("Planned actions")
    assert page.index("Confirm first run") < top and page.index("Discard") < top
    assert "Actions 1–50 of 130 · page 1 of 3" in page
    assert page.count("<td>Vtiger CRM</td>") == 10 and page.count("<td>Constant Contact</td>") == 40
    assert f'href="/connectors/{cid}/preview?page=2" rel="next"' in page
    assert 'rel="prev"' not in page
    assert "Matched" in page and "Skipped: no last name" in page  # the matching report

    last = admin_client.get(f"/connectors/{cid}/preview?page=3").text
    assert "Actions 101–130 of 130 · page 3 of 3" in last
    assert f'href="/connectors/{cid}/preview?page=2" rel="prev"' in last
    assert 'rel="next"' not in last
    assert "Person 119" in last


@pytest.mark.parametrize(
    ("query", "shown", "sides"),
    [
        ("side=cc", "Actions 1–50 of 120", {"Constant Contact"}),
        ("side=crm", "Actions 1–10 of 10", {"Vtiger CRM"}),
        ("side=crm&action=updated", "Actions 1–7 of 7", {"Vtiger CRM"}),
        ("reason=no_last_name", "Actions 1–3 of 3", {"Vtiger CRM"}),
        ("side=cc&action=skipped", "No planned actions match.", set()),
        ("side=cc&page=99", "Actions 101–120 of 120", {"Constant Contact"}),  # the last page
    ],
)
def test_the_preview_filters_by_side_action_and_reason(
    admin_client: TestClient, env: WebEnv, query: str, shown: str, sides: set[str]
) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/preview?{query}").text
    assert shown in page
    assert set(re.findall(r"<td>(Vtiger CRM|Constant Contact)</td>", page)) == sides


def test_the_pager_keeps_the_filter(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/preview?side=cc&action=created&page=2").text
    base = f"/connectors/{cid}/preview?side=cc&amp;action=created"
    assert f'href="{base}" rel="prev"' in page and f'href="{base}&amp;page=3" rel="next"' in page
    assert '<option value="cc" selected>' in page and '<option value="created" selected>' in page


@pytest.mark.parametrize(
    "query",
    ["side=xx", "action=conflict", "page=0", "page=x", "reason=%3Cb%3E", "reason=" + "a" * 65],
)
def test_a_bad_filter_is_refused(admin_client: TestClient, env: WebEnv, query: str) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    assert admin_client.get(f"/connectors/{cid}/preview?{query}").status_code == 422


def test_a_preview_asked_for_later_is_shown_and_the_first_run_still_waits(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    newer = held_first_run(env, cid, trigger="preview", at=5)
    page = admin_client.get(f"/connectors/{cid}/preview").text
    assert f"Planned by run #{newer}" in page and "a preview you asked for" in page
    assert "Confirm first run" in page
    assert BANNER in admin_client.get("/").text


def test_confirm_goes_through_the_job_backend(
    admin_client: TestClient, env: WebEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    calls: list[tuple[int, str, bool]] = []

    def enqueue(connector_id: int, trigger: str, *, confirm: bool = False) -> EnqueueResult:
        calls.append((connector_id, trigger, confirm))
        return EnqueueResult("started", "Sync started.")

    monkeypatch.setattr(env.ctx.backend, "enqueue_sync", enqueue)
    answer = admin_client.post(f"/connectors/{cid}/confirm", data={"csrftoken": csrf(admin_client)})
    assert answer.status_code == 303 and answer.headers["location"] == f"/connectors/{cid}/log"
    assert calls == [(cid, "confirm", True)]


def test_discard_ends_the_wait_and_writes_nothing(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    run_id = held_first_run(env, cid)
    token = csrf(admin_client)
    answer = admin_client.post(f"/connectors/{cid}/preview/discard", data={"csrftoken": token})
    assert answer.status_code == 303
    log = admin_client.get(answer.headers["location"]).text
    assert "First run discarded: nothing was written." in log
    assert BANNER not in log and BANNER not in admin_client.get("/").text
    page = admin_client.get(f"/connectors/{cid}/preview").text
    assert "Confirm first run" not in page and f"Planned by run #{run_id}" in page
    with env.ctx.sessions() as session:
        assert [a.action for a in list_events(session, limit=5)][0] == "first_run_discarded"
    again = admin_client.post(f"/connectors/{cid}/preview/discard", data={"csrftoken": token})
    assert "No first run waits" in admin_client.get(again.headers["location"]).text


def test_discard_goes_through_the_job_backend(
    admin_client: TestClient, env: WebEnv, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = env.admin_connector
    held_first_run(env, cid)
    calls: list[int] = []

    def discard(connector_id: int) -> bool:
        calls.append(connector_id)
        return True

    monkeypatch.setattr(env.ctx.backend, "discard_first_run", discard)
    token = csrf(admin_client)
    answer = admin_client.post(f"/connectors/{cid}/preview/discard", data={"csrftoken": token})
    assert answer.status_code == 303
    assert calls == [cid]
    # the stand-in discarded nothing: the first run still waits, so nothing else wrote to it
    assert BANNER in admin_client.get("/").text


def test_a_standard_user_sees_the_banner_of_their_own_connector_only(
    user_client: TestClient, env: WebEnv
) -> None:
    held_first_run(env, env.admin_connector)
    assert "First sync stopped" not in user_client.get("/").text
    assert user_client.get(f"/connectors/{env.admin_connector}/preview").status_code == 403


def test_the_matching_report_says_each_line_in_words(admin_client: TestClient, env: WebEnv) -> None:
    """Its keys were shown as they are stored ("Cc deleted twins", "Before cutoff"): each line
    says what it counts, in the words of the rest of the app."""
    cid = env.admin_connector
    run_id = held_first_run(env, cid)
    report = dict.fromkeys(
        ("matched", "ambiguous", "no_email", "invalid_email", "no_last_name",
         "cc_deleted_twins", "cc_unsubscribed_twins", "before_cutoff"), 1,
    )  # fmt: skip
    with env.ctx.sessions.begin() as session:
        run = session.get(Run, run_id)
        assert run is not None
        run.counts = {**run.counts, "matching": report}
    page = admin_client.get(f"/connectors/{cid}/preview").text
    table = page.split("First-sync matching report")[1].split("Planned actions")[0]
    for words in (
        "Matched by email",
        "One email on several Vtiger contacts (skipped)",
        "Without an email",
        "With an invalid email",
        "Without a last name (Vtiger requires one)",
        "Matched a contact deleted in Constant Contact",
        "Matched a contact unsubscribed in Constant Contact",
        "Older than Sync Records From",
        "Skipped: no last name",
    ):
        assert f'<th scope="row">{words}</th>' in table, words
    for raw in ("twins", "cutoff", "Cc "):
        assert raw not in table
