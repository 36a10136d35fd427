"""The CLI as real subprocesses: sync --json, log --csv, preview, held, authorize, and SIGKILL."""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import httpx2
import pytest
from sqlalchemy import update

from ccsync.store import repos
from ccsync.store.models import RunLease as RunLeaseRow
from ccsync.store.tokens import DbTokenStore
from integration.engine.harness import REMOTE_REDIRECT, World, by_email

pytestmark = pytest.mark.integration

TOTAL = 60


def _env(world: World) -> dict[str, str]:
    return {**os.environ, "CCSYNC_DATA_DIR": str(world.settings.data_dir), "COLUMNS": "200"}


def ccsync(world: World, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ccsync ARGS`` against the world's data directory."""
    return subprocess.run(
        [sys.executable, "-m", "ccsync", *args],
        env=_env(world),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def test_sync_json_then_log_csv(world: World) -> None:
    world.crm_create(firstname="Cli", lastname="Run", email="cli@example.com")
    world.cc_create("cc-cli@example.com", last_name="Side")

    done = ccsync(world, "sync", "main", "--json")

    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["status"] == "succeeded"
    assert data["counts"]["cc"]["created"] == 1 and data["counts"]["crm"]["created"] == 1
    assert set(data) >= {"run_id", "counts", "conflicts", "calls", "duration_s"}
    assert data["calls"]["crm"] > 0 and data["calls"]["cc"] > 0
    log = ccsync(world, "log", "main", "--run", str(data["run_id"]), "--csv")
    assert log.returncode == 0, log.stderr
    rows = list(csv.DictReader(io.StringIO(log.stdout)))
    assert {(r["side"], r["action"]) for r in rows} == {("cc", "created"), ("crm", "created")}
    for row in rows:
        assert datetime.fromisoformat(row["time"]).utcoffset() is not None
    crm_row = next(r for r in rows if r["side"] == "cc")
    assert "index.php?module=Contacts&view=Detail&record=" in crm_row["crm_url"]


def test_preview_json_writes_nothing(world: World) -> None:
    world.crm_create(lastname="Planned", email="planned@example.com")

    shown = ccsync(world, "preview", "main", "--json")

    assert shown.returncode == 0, shown.stderr
    plan = json.loads(shown.stdout)
    assert plan["status"] == "preview"
    assert [(r["side"], r["action"]) for r in plan["preview"]] == [("cc", "create")]
    assert plan["matching"]["no_email"] == 0 and "matched" in plan["matching"]
    assert world.cc_all() == [] and world.links() == []
    table = ccsync(world, "preview", "main")
    assert table.returncode == 0, table.stderr
    assert "nothing was written" in table.stdout


def test_sync_stops_at_preview_and_confirm_applies(world: World) -> None:
    for n in range(101):
        world.crm_create(lastname=f"Bulk{n}", email=f"bulk{n}@example.com")
    stopped = ccsync(world, "sync", "main", "--json")
    assert stopped.returncode == 2 and json.loads(stopped.stdout)["status"] == "preview"
    applied = ccsync(world, "sync", "main", "--json", "--confirm")
    assert applied.returncode == 0, applied.stderr
    assert json.loads(applied.stdout)["counts"]["cc"]["created"] == 101


def test_held_discard_from_the_cli(world: World) -> None:
    ids = [world.crm_create(lastname=f"H{i}", email=f"h{i}@example.com") for i in range(7)]
    world.until_quiet()
    for crm_id in ids[:6]:
        world.crm_delete(crm_id)
    world.sync()
    done = ccsync(world, "held", "main", "--discard", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["counts"]["cc"]["skipped"] == 6
    neither = ccsync(world, "held", "main")
    assert neither.returncode == 1


def test_authorize_prints_the_url_first_and_catches_the_loopback_redirect(world: World) -> None:
    with world.sessions.begin() as session:
        DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).clear()
        repos.set_connector_status(session, world.connector_id, "needs_sign_in")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccsync", "connector", "authorize", "main", "--timeout", "60"],
        env=_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith(world.emus.cc.base_url + "/oauth2/default/v1/authorize?")
        assert "state=" in url and "code_challenge=" in url
        _follow_until_caught(url)
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert "connected" in out
    with world.sessions.begin() as session:
        row = repos.get_connector(session, world.connector_id)
    assert row is not None and row.status == "connected" and row.cc_account_id
    assert world.sync().status == "succeeded"


def test_authorize_with_a_pasted_redirect_url_checks_state(world: World) -> None:
    world.set(cc_redirect_uri=REMOTE_REDIRECT)
    DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).clear()
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccsync", "connector", "authorize", "main"],
        env=_env(world), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        with httpx2.Client(timeout=10) as client:
            location = client.get(url).headers["location"]
        assert location.startswith(REMOTE_REDIRECT + "?")
        out, err = proc.communicate(location + "\n", timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 0, err
    assert DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).load()
    forged = ccsync_with_input(
        world, "https://ccsync.example.com/oauth/callback?code=x&state=forged"
    )
    assert forged.returncode == 1 and "state does not match" in forged.stderr


def ccsync_with_input(world: World, pasted: str) -> subprocess.CompletedProcess[str]:
    """``connector authorize`` answered with ``pasted`` as the redirected URL."""
    return subprocess.run(
        [sys.executable, "-m", "ccsync", "connector", "authorize", "main"],
        env=_env(world), input=pasted + "\n", capture_output=True, text=True, timeout=120,
        check=False,
    )  # fmt: skip


def _follow_until_caught(url: str) -> None:
    """The browser: follow the auto-approved authorization to the CLI's loopback listener."""
    deadline = time.monotonic() + 30
    with httpx2.Client(timeout=10) as client:
        while True:
            try:
                response = client.get(url, follow_redirects=True)
                assert response.status_code == 200, response.text
                return
            except httpx2.ConnectError:
                if time.monotonic() > deadline:  # the listener is not up yet
                    raise
                time.sleep(0.05)


def _lease_ttl_passes(world: World) -> None:
    """The killed run's lease would expire after its TTL (120 s); let that time pass."""
    past = datetime.now(UTC) - timedelta(seconds=1)
    with world.sessions.begin() as session:
        session.execute(update(RunLeaseRow).values(expires_at=past))


def _wait_for_writes(world: World, proc: subprocess.Popen[str], minimum: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        if len(world.crm_all()) >= minimum:
            return
        time.sleep(0.02)


@pytest.mark.parametrize("after", [3, 12])
def test_sigkill_mid_run_then_next_run_converges(world: World, after: int) -> None:
    for n in range(TOTAL):
        world.cc_create(f"kill{n}@example.com", last_name=f"Kill{n}")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ccsync", "sync", "main", "--json", "--confirm"],
        env=_env(world), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        _wait_for_writes(world, proc, after)
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(30)
        proc.communicate()
    killed_with = len(world.crm_all())
    _lease_ttl_passes(world)

    world.until_quiet()

    crm_rows = world.crm_all()
    emails = Counter(r["email"] for r in crm_rows)
    assert after <= killed_with < TOTAL, "killed mid-run"
    assert len(crm_rows) == TOTAL and max(emails.values()) == 1, (killed_with, emails)
    assert len(world.links()) == TOTAL
    assert set(by_email(crm_rows, cc=False)) == set(by_email(world.cc_all(), cc=True))
