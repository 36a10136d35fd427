"""What the engine lends a provider (``BuildContext``) and how the CC provider uses it: the
shared limiter's database and the pace on PostgreSQL, and the budget share of a first sync."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.constantcontact import provider as cc_provider
from ccsync.connectors.constantcontact.budget import MemoryDailyBudget
from ccsync.connectors.constantcontact.tokens import FileTokenStore
from ccsync.connectors.registry import BuildContext
from ccsync.engine.config import load_config, settings_patch
from ccsync.engine.factory import build_context
from ccsync.settings import AppSettings, get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory

PG = "postgresql+psycopg://postgres:pw@127.0.0.1:5432/ccsync_unused"
KEY = "uX8sC3gYQ2l3mJYx7fGb2vJk3s0m3xq9m0j3z5m0Z1s="


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[sessionmaker[Session]]:
    """A migrated SQLite store (the context's queries run here whatever the settings say)."""
    configure_encryption([KEY])
    engine = init_db(f"sqlite:///{tmp_path / 'ccsync.db'}")
    yield session_factory(engine)
    engine.dispose()


def _row(sessions: sessionmaker[Session], **changes: Any) -> repos.ConnectorRow:
    with sessions.begin() as session:
        user = repos.create_user(session, "boss", "a-long-password-here", role="admin")
        stored = settings_patch(cc_client_id="app-1", **changes)
        row = repos.create_connector(session, "main", user.id, stored, client_secret="s")
    return row


def _settings(tmp_path: Path, url: str | None) -> AppSettings:
    extra = {"database_url": url, "secret_keys": KEY} if url else {}
    return get_settings(data_dir=tmp_path / "app", **extra)


def test_on_postgresql_the_context_lends_the_shared_limiter_and_a_first_sync_keeps_a_reserve(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    row = _row(sessions)
    settings = _settings(tmp_path, PG)
    ctx = build_context(settings, sessions, row, load_config(row), "cc")
    assert ctx.shared and ctx.limiter_url == "postgresql://postgres:pw@127.0.0.1:5432/ccsync_unused"
    assert "pw" not in repr(ctx), "the database password stays out of reprs"
    assert ctx.budget_share == pytest.approx(0.9)  # no change state yet: a first sync
    with sessions.begin() as session:
        for side in ("crm", "cc"):
            repos.put_state(session, row.id, side, "{}")
    assert build_context(settings, sessions, row, load_config(row), "cc").budget_share == 1.0


def test_on_sqlite_nothing_is_shared_across_machines(
    tmp_path: Path, sessions: sessionmaker[Session]
) -> None:
    row = _row(sessions)
    ctx = build_context(_settings(tmp_path, None), sessions, row, load_config(row), "cc")
    assert not ctx.shared and ctx.limiter_url is None


def _built(monkeypatch: pytest.MonkeyPatch, ctx: BuildContext) -> dict[str, Any]:
    """The keyword arguments the CC provider builds its connector of ``ctx`` with."""
    seen: dict[str, Any] = {}
    monkeypatch.setattr(
        cc_provider, "ConstantContactConnector", lambda *a, **kw: seen.update(kw) or object()
    )
    cc_provider.build(ctx)
    return seen


@pytest.mark.parametrize(
    ("shared", "rate", "expected"), [(False, None, 3.8), (True, None, 3.2), (True, 2.5, 2.5)]
)
def test_the_cc_pace_is_the_one_set_else_slower_when_machines_share_the_limiter(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    sessions: sessionmaker[Session],
    shared: bool,
    rate: float | None,
    expected: float,
) -> None:
    row = _row(sessions, cc_rate=rate, cc_daily_quota=1000)
    url = "postgresql://db/x" if shared else None
    ctx = BuildContext(
        connector_id=row.id,
        data_dir=tmp_path,
        tokens=FileTokenStore(tmp_path / "t"),
        budget=MemoryDailyBudget(),
        config=load_config(row).cc,
        budget_share=0.9,
        shared=shared,
        limiter_url=url,
    )
    kw = _built(monkeypatch, ctx)
    assert kw["rate"] == expected
    assert kw["limiter_url"] == url
    assert kw["daily_quota"] == 900  # the first sync's share of cc.daily_quota
