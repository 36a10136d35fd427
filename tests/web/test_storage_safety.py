"""Issue 10 items 7 and 8: a read-only database is a clear error; data files are private.

Tests run as root, where chmod does not stop writes, so the database is opened read-only
through SQLite's URI ``mode=ro`` (the same refusal a 0444 file gives a normal user).
"""

from __future__ import annotations

import json
import logging
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient
from typer.testing import CliRunner

from ccsync.cli import app as cli
from ccsync.settings import check_permissions, get_settings
from ccsync.web.app import create_app

from .conftest import USER, WebEnv, csrf, login

READ_ONLY = "database cannot be written"


def _read_only_url(env: WebEnv) -> str:
    return f"sqlite:///file:{env.ctx.settings.data_dir / 'ccsync.db'}?mode=ro&uri=true"


@pytest.fixture
def read_only(env: WebEnv) -> Iterator[TestClient]:
    """A browser signed in as the standard user, on an app whose database is read-only."""
    with TestClient(env.app, follow_redirects=False) as writable:
        login(writable, *USER)  # the session row is written while the database still can be
        cookies = writable.cookies
    settings = get_settings(data_dir=env.ctx.settings.data_dir, database_url=_read_only_url(env))
    app = create_app(settings, scheduler=False)
    with TestClient(app, follow_redirects=False) as client:
        client.cookies.update(cookies)  # with their domain, so the app can also delete them
        yield client
    app.state.ctx.engine.dispose()


def test_pages_still_read_and_a_write_shows_an_error_page(read_only: TestClient) -> None:
    assert read_only.get("/").status_code == 200
    answer = read_only.post(
        "/profile", data={"timezone": "Europe/Paris", "csrftoken": csrf(read_only)}
    )
    assert answer.status_code == 503
    assert READ_ONLY in answer.text and 'class="top"' in answer.text  # the app's layout
    api = read_only.post("/api/connectors", json={"name": "x", "owner_id": 1},
                         headers={"x-csrftoken": csrf(read_only)})  # fmt: skip
    assert api.status_code in (403, 503)


def test_sync_now_says_the_database_cannot_be_written(read_only: TestClient, env: WebEnv) -> None:
    path = f"/connectors/{env.user_connector}/sync"
    token = csrf(read_only)
    answer = read_only.post(path, data={"csrftoken": token})
    assert answer.status_code == 303
    page = read_only.get(answer.headers["location"]).text
    assert READ_ONLY in page and "Sync started" not in page
    fragment = read_only.post(path, headers={"x-csrftoken": token, "hx-request": "true"}).text
    assert READ_ONLY in fragment and "Sync started" not in fragment
    api = read_only.post(f"/api{path}", headers={"x-csrftoken": token})
    assert api.status_code == 503 and READ_ONLY in api.json()["detail"]


def test_signing_out_on_a_read_only_database_still_drops_the_cookie(
    read_only: TestClient,
) -> None:
    assert read_only.post("/logout", data={"csrftoken": csrf(read_only)}).status_code == 303
    assert read_only.get("/api/me").status_code == 401


def test_signing_in_on_a_read_only_database_is_a_clear_error(env: WebEnv) -> None:
    settings = get_settings(data_dir=env.ctx.settings.data_dir, database_url=_read_only_url(env))
    app = create_app(settings, scheduler=False)
    with TestClient(app, follow_redirects=False) as client:
        data = {"username": USER[0], "password": USER[1], "csrftoken": csrf(client)}
        answer = client.post("/login", data=data)
    app.state.ctx.engine.dispose()
    assert answer.status_code == 503 and READ_ONLY in answer.text


@pytest.fixture
def read_only_cli(env: WebEnv, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(env.ctx.settings.data_dir))
    monkeypatch.setenv("CCSYNC_DATABASE_URL", _read_only_url(env))


@pytest.mark.usefixtures("read_only_cli")
def test_sync_json_prints_its_one_object_on_a_read_only_database() -> None:
    result = CliRunner().invoke(cli, ["sync", "Joe CC", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)  # exactly one JSON object, no traceback
    assert data["status"] == "failed" and READ_ONLY in data["error"].lower()


@pytest.mark.usefixtures("read_only_cli")
def test_sync_prints_one_clear_line_on_a_read_only_database() -> None:
    result = CliRunner().invoke(cli, ["sync", "Joe CC"])
    assert result.exit_code == 1
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and READ_ONLY in lines[0].lower()
    assert "Traceback" not in result.output


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_data_directory_database_journal_and_keys_are_private(tmp_path: Path) -> None:
    data = tmp_path / "fresh"
    settings = get_settings(data_dir=data)
    app = create_app(settings, scheduler=False)
    with TestClient(app) as client:
        client.get("/login")  # opens the database (WAL: -wal and -shm appear)
        assert _mode(data) == 0o700
        for name in ("ccsync.db", "ccsync.db-wal", "ccsync.db-shm", "secret.key", "session.key"):
            assert _mode(data / name) == 0o600, name
        assert check_permissions(settings) == []
    app.state.ctx.engine.dispose()


def test_wider_modes_are_warned_about_at_start(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    data = tmp_path / "open"
    settings = get_settings(data_dir=data)
    create_app(settings, scheduler=False).state.ctx.engine.dispose()
    data.chmod(0o755)
    (data / "ccsync.db").chmod(0o644)
    (data / "secret.key").chmod(0o640)
    with caplog.at_level(logging.WARNING):
        create_app(settings, scheduler=False).state.ctx.engine.dispose()
    warned = " ".join(r.getMessage() for r in caplog.records)
    for name in (str(data), "ccsync.db", "secret.key"):
        assert name in warned
    assert "0755" in warned and "0644" in warned


@pytest.mark.postgres
def test_a_read_only_postgres_database_is_recognised() -> None:
    import secrets as token

    import psycopg
    from sqlalchemy import text
    from sqlalchemy.exc import DBAPIError

    from ccsync.store.db import init_db
    from ccsync.store.engines import make_engine
    from ccsync.store.writable import is_read_only_error, write_problem

    admin = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
    name = f"ccsync_ro_{token.token_hex(6)}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        engine = init_db(url)
        assert write_problem(engine) is None
        engine.dispose()
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on')
        engine = make_engine(url)
        assert write_problem(engine) is not None and READ_ONLY in str(write_problem(engine))
        with pytest.raises(DBAPIError) as failed, engine.begin() as conn:
            conn.execute(text("DELETE FROM users"))
        assert is_read_only_error(failed.value)
        engine.dispose()
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_a_uri_database_url_leaves_no_stray_files_in_the_working_directory(
    env: WebEnv, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    settings = get_settings(data_dir=env.ctx.settings.data_dir, database_url=_read_only_url(env))
    create_app(settings, scheduler=False).state.ctx.engine.dispose()
    assert not (tmp_path / "file:").exists()
