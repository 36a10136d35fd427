"""Debug Mode keeps a redacted trace; one full run on PostgreSQL."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest

from ccsync.store import repos
from ccsync.store.tokens import DbTokenStore
from integration.engine.harness import CLIENT_SECRET, VT_KEY, Emulators, World

pytestmark = pytest.mark.integration

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


def _debug_rows_text(world: World, run_id: int) -> list[str]:
    with world.sessions.begin() as session:
        rows = list(repos.iter_debug(session, run_id))
    return [
        json.dumps([r.url, r.request_headers, r.request_body, r.response_headers, r.response_body])
        for r in rows
    ]


def test_debug_log_has_every_request_and_no_secret(world: World) -> None:
    before = DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).load()
    assert before is not None
    with world.sessions.begin() as session:
        until = datetime.now(UTC) + timedelta(hours=24)
        repos.update_connector(session, world.connector_id, debug_until=until)
    world.crm_create(firstname="Deb", lastname="Ug", email="debug@example.com")
    world.cc_create("cc-debug@example.com", last_name="Trace")

    result = world.sync()

    texts = _debug_rows_text(world, result.run_id or 0)
    assert len(texts) == result.calls["crm"] + result.calls["cc"]
    after = DbTokenStore(world.sessions, world.connector_id, world.settings.data_dir).load()
    assert after is not None
    secrets_ = {before.access_token, after.access_token, CLIENT_SECRET, VT_KEY}
    secrets_ |= {t for t in (before.refresh_token, after.refresh_token) if t}
    for text in texts:
        for secret in secrets_:
            assert secret not in text
        assert not re.search(r"sessionName[\"=:\s\\]+(?!\*\*\*)[0-9a-f]{6,}", text), text


def test_debug_mode_off_keeps_no_trace(world: World) -> None:
    world.crm_create(lastname="Plain", email="plain@example.com")
    result = world.sync()
    assert _debug_rows_text(world, result.run_id or 0) == []


@pytest.fixture
def pg_url() -> Iterator[str]:
    name = f"ccsync_engine_{secrets.token_hex(5)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.postgres
def test_full_sync_on_postgresql(emulators: Emulators, tmp_path: Path, pg_url: str) -> None:
    emulators.reset()
    world = World(emulators, tmp_path / "data", database_url=pg_url)
    try:
        crm_id = world.crm_create(firstname="Pg", lastname="Sql", email="pg@example.com")
        world.cc_create("pg-cc@example.com", last_name="Cc")
        first = world.sync()
        assert first.status == "succeeded", first.error
        world.crm_edit(crm_id, title="On Postgres")
        world.until_quiet()
        assert len(world.links()) == 2
        cc = {c["email_address"]["address"]: c for c in world.cc_all()}
        assert cc["pg@example.com"]["job_title"] == "On Postgres"
    finally:
        world.close()
