"""``ccsync budget`` on a real SQLite store: calls today per connector, budget left, and the
achievable frequency when the configured ones do not fit."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker
from typer.testing import CliRunner

from ccsync.cli import app
from ccsync.engine.config import settings_patch
from ccsync.settings import get_settings
from ccsync.store import repos
from ccsync.store.budget import DbDailyBudget
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory


@pytest.fixture
def sessions(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[sessionmaker[Session]]:
    """A migrated store with one user (CCSYNC_DATA_DIR points at it)."""
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    settings = get_settings()
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    yield session_factory(engine)
    engine.dispose()


def _connector(sessions: sessionmaker[Session], name: str, frequency: str, quota: int) -> int:
    with sessions.begin() as session:
        user = repos.get_user_by_name(session, "boss") or repos.create_user(
            session, "boss", "a-long-password-here", role="admin"
        )
        settings = settings_patch(cc_client_id="app-1", frequency=frequency, cc_daily_quota=quota)
        return repos.create_connector(session, name, user.id, settings, status="connected").id


def _quiet_run(sessions: sessionmaker[Session], cid: int, cc: int, crm: int) -> None:
    now = datetime.now(UTC) - timedelta(seconds=5)
    with sessions.begin() as session:
        run = repos.start_run(session, cid, "schedule", now=now)
        repos.finish_run(session, run.id, status="succeeded", calls={"crm": crm, "cc": cc}, now=now)


def test_budget_shows_calls_today_left_and_that_the_frequencies_fit(
    sessions: sessionmaker[Session],
) -> None:
    first = _connector(sessions, "north", "60m", 10_000)
    _connector(sessions, "south", "4h", 10_000)
    _quiet_run(sessions, first, cc=4, crm=6)
    _quiet_run(sessions, first, cc=2, crm=4)
    DbDailyBudget(sessions).spend("app-1", datetime.now(UTC).date(), 6)
    out = CliRunner().invoke(app, ["budget", "--json"])
    assert out.exit_code == 0, out.output
    [key] = json.loads(out.output)["applications"]
    assert (key["spent_today"], key["left"], key["fits"]) == (6, 9994, True)
    north = next(c for c in key["connectors"] if c["name"] == "north")
    assert north["calls_today"] == {"crm": 10, "cc": 6}
    assert north["calls_per_run"] == 3  # the median of its quiet runs
    assert north["projected_per_day"] == 24 * 3 + 2
    text = CliRunner().invoke(app, ["budget"])
    assert "9994 left" in text.output and "fit" in text.output


def test_budget_says_when_the_frequencies_do_not_fit_and_what_would(
    sessions: sessionmaker[Session],
) -> None:
    for n in range(4):
        cid = _connector(sessions, f"c{n}", "5m", 1_000)
        _quiet_run(sessions, cid, cc=3, crm=4)
    out = CliRunner().invoke(app, ["budget", "--json"])
    assert out.exit_code == 3, out.output
    [key] = json.loads(out.output)["applications"]
    # 4 connectors × 288 runs × 3 calls is far above 80% of 1,000; every 30 minutes fits:
    # 4 × 48 × 3 = 576 ≤ 800 − 8, every 15 minutes would not (1,152)
    assert key["fits"] is False and key["achievable_frequency"] == "30m"
    text = CliRunner().invoke(app, ["budget"])
    assert "do not fit" in text.output and "30m" in text.output
