"""Sync Log, drill-down and CSV, Debug Log and metrics on recorded runs."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from pathlib import Path

import httpx2
from pydantic import SecretStr
from starlette.testclient import TestClient

from ccsync.connectors.trace import TraceEntry, redact
from ccsync.runlog import CSV_COLUMNS
from ccsync.store.repos.debuglog import append_debug
from ccsync.store.repos.rows import RunItemWrite
from ccsync.store.repos.runs import add_run_items, finish_run, start_run

from .conftest import WebEnv

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
STARTED = datetime(
    2026, 3, 29, 1, 30, tzinfo=UTC
)  # 03:30 in Berlin: summer time began at 01:00 UTC


def _record_run(env: WebEnv, connector_id: int) -> int:
    items = [
        RunItemWrite("cc", "created", crm_id="12x57", cc_id="c-57", record_name="José O'Hara",
                     diff={"title": ["", "CTO"]}),
        RunItemWrite("cc", "created", crm_id="12x58", cc_id="c-58", record_name="=HYPERLINK(1)"),
        RunItemWrite("crm", "skipped", cc_id="c-90", record_name="Anna", reason="no_last_name",
                     message="Vtiger requires a last name"),
        RunItemWrite("crm", "conflict", crm_id="12x60", cc_id="c-60", record_name="Ben Baker",
                     conflict={"title": {"crm": "CTO", "cc": "Buyer", "winner": "crm"}}),
    ]  # fmt: skip
    with env.ctx.sessions.begin() as session:
        run = start_run(session, connector_id, "manual", now=STARTED)
        add_run_items(session, run.id, items)
        counts = {"cc": {"created": 2}, "crm": {"skipped": 1, "updated": 0}}
        finish_run(session, run.id, status="succeeded", counts=counts, calls={"cc": 3, "crm": 4})
        request = httpx2.Request("POST", "http://127.0.0.1:9/oauth2/token?code=abc",
                                 headers={"authorization": "Bearer live-token-1"})  # fmt: skip
        entry = TraceEntry(STARTED, "POST", redact(str(request.url)), 200, 12.5,
                           {"authorization": "***"}, redact("client_secret=s3cr3t-value-xyz"),
                           {}, redact('{"access_token": "live-token-2"}'))  # fmt: skip
        append_debug(session, connector_id, run.id, [entry])
    return run.id


def test_the_sync_log_shows_both_tables_with_linked_counts_in_the_viewers_zone(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    run_id = _record_run(env, cid)
    token = admin_client.cookies["csrftoken"]
    admin_client.post("/profile", data={"timezone": "Europe/Berlin", "csrftoken": token})
    page = admin_client.get(f"/connectors/{cid}/log").text
    assert "Results applied in Constant Contact" in page and "Results applied in Vtiger CRM" in page
    assert f"/connectors/{cid}/runs/{run_id}/items?side=cc&amp;action=created" in page
    assert f"/connectors/{cid}/runs/{run_id}/items?side=crm&amp;action=skipped" in page
    assert "2026-03-29" in page and "03:30:00" in page
    assert "<svg" in page and "Run #" in page
    assert "Conflicts" in page


def test_a_count_opens_its_records_with_links_to_both_systems(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    run_id = _record_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/runs/{run_id}/items?side=cc&action=created").text
    assert "Records Created in Constant Contact" in page
    assert "http://127.0.0.1:9/index.php?module=Contacts&amp;view=Detail&amp;record=57" in page
    assert "https://app.constantcontact.com/pages/contacts/ui#contact/c-57" in page
    assert "José O&#39;Hara" in page and "Download As CSV" in page
    skipped = admin_client.get(f"/connectors/{cid}/runs/{run_id}/items?side=crm&action=skipped")
    assert "no_last_name" in skipped.text and "Vtiger requires a last name" in skipped.text


def test_download_as_csv_has_one_row_per_record(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    run_id = _record_run(env, cid)
    answer = admin_client.get(f"/connectors/{cid}/runs/{run_id}/items.csv?side=cc&action=created")
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    assert answer.content.startswith("\ufeff".encode()), "a BOM: Excel reads it as UTF-8"
    text = answer.content.decode("utf-8-sig")
    assert text.splitlines()[0] == ",".join(CSV_COLUMNS)
    assert ",".join(CSV_COLUMNS) in README, "the README shows the header the download has"
    rows = list(csv.DictReader(io.StringIO(text)))
    assert [r["crm_id"] for r in rows] == ["12x57", "12x58"]
    assert rows[0]["record_name"] == "José O'Hara" and rows[0]["side"] == "cc"
    assert rows[0]["source_module"] == "Contacts (Vtiger CRM)"
    assert rows[1]["record_name"].startswith("'=")  # no formula injection into spreadsheets
    assert rows[0]["time"].endswith("+00:00")
    assert json.loads(rows[0]["diff"]) == {"title": ["", "CTO"]}


def test_the_drill_down_reads_as_words_without_bookkeeping(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    items = [
        RunItemWrite("cc", "updated", crm_id="12x70", cc_id="c-70", record_name="Olivia Stone",
                     diff={"firstname": ["", "Olivia"], "title": ["CTO", ""]}),
        RunItemWrite("crm", "skipped", cc_id="c-71", record_name="Anna", reason="no_last_name",
                     message="Vtiger requires a last name", diff={"fingerprint": "9f2c1ab07e"}),
    ]  # fmt: skip
    with env.ctx.sessions.begin() as session:
        run = start_run(session, cid, "manual", now=STARTED)
        add_run_items(session, run.id, items)
        finish_run(session, run.id, status="succeeded", counts={}, calls={})
    updated = admin_client.get(f"/connectors/{cid}/runs/{run.id}/items?side=cc&action=updated")
    assert "∅ → Olivia" in updated.text and "CTO → ∅" in updated.text
    assert "[&#39;&#39;, &#39;Olivia&#39;]" not in updated.text
    skipped = admin_client.get(f"/connectors/{cid}/runs/{run.id}/items?side=crm&action=skipped")
    assert "no_last_name" in skipped.text
    assert "fingerprint" not in skipped.text and "9f2c1ab07e" not in skipped.text
    csv_text = admin_client.get(
        f"/connectors/{cid}/runs/{run.id}/items.csv?side=crm&action=skipped"
    ).text
    assert "fingerprint" not in csv_text


def test_an_unknown_run_or_a_bad_filter_is_a_clear_error(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    assert (
        admin_client.get(f"/connectors/{cid}/runs/999/items?side=cc&action=created").status_code
        == 404
    )
    own = _record_run(env, cid)
    assert (
        admin_client.get(f"/connectors/{cid}/runs/{own}/items?side=xx&action=created").status_code
        == 422
    )
    other = _record_run(env, env.user_connector)
    assert admin_client.get(f"/connectors/{cid}/log?run={other}").status_code == 404


def test_the_debug_log_shows_redacted_entries_and_downloads(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    _record_run(env, cid)
    page = admin_client.get(f"/connectors/{cid}/debug").text
    download = admin_client.get(f"/connectors/{cid}/debug.txt").text
    for text in (page, download):
        assert "oauth2/token" in text
        for secret in ("s3cr3t-value-xyz", "live-token-1", "live-token-2", "code=abc"):
            assert secret not in text
    assert (
        "attachment"
        in admin_client.get(f"/connectors/{cid}/debug.txt").headers["content-disposition"]
    )


def test_metrics_count_runs_and_records(admin_client: TestClient, env: WebEnv) -> None:
    _record_run(env, env.admin_connector)
    env.ctx.settings.metrics_token = SecretStr("metrics-token-1")
    auth = {"authorization": "Bearer metrics-token-1"}
    text = admin_client.get("/metrics", headers=auth).text
    assert 'ccsync_runs_total{connector="Admin CC",status="succeeded"} 1' in text
    assert 'ccsync_records_total{connector="Admin CC",side="cc",action="created"} 2' in text
    assert "ccsync_last_run_timestamp_seconds" in text
    assert 'ccsync_api_calls_today{connector="Admin CC",side="cc"}' in text
    assert "ccsync_api_budget_left{application=" in text
    assert admin_client.get("/healthz").json() == {"status": "ok"}


def test_the_api_lists_runs_and_items(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    run_id = _record_run(env, cid)
    runs = admin_client.get(f"/api/connectors/{cid}/runs").json()
    assert (
        runs[0]["id"] == run_id and runs[0]["cc"]["created"] == 2 and runs[0]["crm"]["skipped"] == 1
    )
    items = admin_client.get(
        f"/api/connectors/{cid}/runs/{run_id}/items?side=crm&action=conflict"
    ).json()
    assert items[0]["conflict"]["title"]["winner"] == "crm"


def _record_preview(env: WebEnv, connector_id: int) -> int:
    with env.ctx.sessions.begin() as session:
        run = start_run(session, connector_id, "preview", now=STARTED)
        counts = {"cc": {"created": 147}, "crm": {"updated": 3}}
        finish_run(session, run.id, status="preview", counts=counts, calls={"cc": 2, "crm": 2})
    return run.id


def test_a_preview_is_planned_not_applied_in_the_log_chart_and_metrics(
    admin_client: TestClient, env: WebEnv
) -> None:
    """Issue 11 item 2: a preview wrote nothing; it is not counted as a run anywhere."""
    cid = env.admin_connector
    real = _record_run(env, cid)
    preview = _record_preview(env, cid)
    page = admin_client.get(f"/connectors/{cid}/log?run={preview}").text
    assert "Planned in Constant Contact — not applied" in page
    assert "Results applied in Constant Contact" not in page
    assert f"/runs/{preview}/items" not in page  # no links to lists that are empty
    assert f"Run #{preview}:" not in page and f"Run #{real}:" in page  # the chart
    assert "Preview (planned, not applied)" in page
    env.ctx.settings.metrics_token = SecretStr("metrics-token-1")
    text = admin_client.get("/metrics", headers={"authorization": "Bearer metrics-token-1"}).text
    assert 'status="preview"' not in text
    shown = admin_client.get(f"/connectors/{cid}/log").text  # by default: the latest applied run
    assert f"Run #{real} —" in shown and "Results applied in Constant Contact" in shown
    assert 'ccsync_records_total{connector="Admin CC",side="cc",action="created"} 2' in text


def _run_with_debug(env: WebEnv, connector_id: int, n: int) -> int:
    with env.ctx.sessions.begin() as session:
        run = start_run(session, connector_id, "manual", now=STARTED)
        entries = [
            TraceEntry(STARTED, "GET", f"http://127.0.0.1:9/v3/contacts?page={i}", 200, 1.0,
                       {}, "", {}, f"body-{i}")
            for i in range(n)
        ]  # fmt: skip
        append_debug(session, connector_id, run.id, entries)
        finish_run(session, run.id, status="succeeded", counts={}, calls={"cc": n, "crm": 0})
    return run.id


def test_the_debug_log_pages_through_one_run_and_says_how_many(
    admin_client: TestClient, env: WebEnv
) -> None:
    """Issue 11 item 7: 100 entries shown of 250 downloaded, with no notice, no paging and no
    per-run filter — now each run's entries page by page, counted, with the runs to choose."""
    cid = env.admin_connector
    older = _run_with_debug(env, cid, 250)
    newer = _run_with_debug(env, cid, 3)
    page = admin_client.get(f"/connectors/{cid}/debug").text
    assert f"Entries 1–3 of 3 of run #{newer}" in page  # the latest run by default
    assert f'href="/connectors/{cid}/debug?run={older}"' in page and "250 entries" in page
    page = admin_client.get(f"/connectors/{cid}/debug?run={older}").text
    assert f"Entries 1–100 of 250 of run #{older}" in page
    assert "body-99" in page and "body-100" not in page
    assert f'href="/connectors/{cid}/debug?run={older}&amp;page=2"' in page
    page = admin_client.get(f"/connectors/{cid}/debug?run={older}&page=3").text
    assert f"Entries 201–250 of 250 of run #{older}" in page and "body-249" in page
    assert f'href="/connectors/{cid}/debug.txt?run={older}"' in page
    assert admin_client.get(f"/connectors/{cid}/debug?run={older}&page=0").status_code in (400, 422)


def test_a_deleted_record_without_a_known_name_shows_its_id_and_deleted(
    admin_client: TestClient, env: WebEnv
) -> None:
    """Issue 11 item 8: never "(no name)" for a deleted record (the engine stores the name from
    the pair's snapshot; a run recorded without one shows the record's id and "deleted")."""
    cid = env.admin_connector
    items = [
        RunItemWrite("cc", "deleted", crm_id="12x70", cc_id="c-70", record_name="Delia Gone"),
        RunItemWrite("cc", "deleted", crm_id="12x71", cc_id="c-71"),
    ]
    with env.ctx.sessions.begin() as session:
        run = start_run(session, cid, "manual", now=STARTED)
        add_run_items(session, run.id, items)
        finish_run(session, run.id, status="succeeded", counts={"cc": {"deleted": 2}}, calls={})
    page = admin_client.get(f"/connectors/{cid}/runs/{run.id}/items?side=cc&action=deleted").text
    assert "Delia Gone" in page
    assert "c-71 (deleted; name unknown)" in page
    assert "(no name)" not in page
