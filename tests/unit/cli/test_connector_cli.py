"""``ccsync connector …`` and ``ccsync db`` through Typer's CliRunner on a real SQLite store."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text
from typer.testing import CliRunner

from ccsync.cli import app
from ccsync.settings import get_settings
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory

KEY = "vt-access-key-0123456789"
SECRET = "cc-client-secret-abcdef"


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A data dir with a migrated database and one admin user."""
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    settings = get_settings()
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    with session_factory(engine).begin() as session:
        repos.create_user(session, "boss", "a-long-password-here", role="admin")
    engine.dispose()
    yield tmp_path


def _add(runner: CliRunner, *extra: str, env: dict[str, str] | None = None, **kw: str) -> object:
    args = [
        "connector", "add", "main", "--vtiger-url", "http://127.0.0.1:9/", "--vtiger-username",
        "admin", "--cc-client-id", "client-1", "--direction", "crm-to-cc",
        "--sync-records-from", "30d", *extra,
    ]  # fmt: skip
    return runner.invoke(app, args, env=env, **kw)


def _show(runner: CliRunner) -> dict:
    result = runner.invoke(app, ["connector", "show", "main", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_add_reads_secrets_from_the_environment_and_stores_them_encrypted(data_dir: Path) -> None:
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    result = _add(runner, env=env)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]

    shown = _show(runner)
    assert shown["settings"]["sync"]["direction"] == "crm_to_cc"
    assert shown["settings"]["sync"]["sync_records_from"] == "30d"
    assert shown["vtiger_access_key"] == "set" and shown["client_secret"] == "set"
    assert shown["status"] == "needs_sign_in"
    raw = (data_dir / "ccsync.db").read_bytes()
    assert KEY.encode() not in raw and SECRET.encode() not in raw
    engine = init_db(get_settings().database_url)
    with engine.connect() as conn:
        stored = conn.execute(text("SELECT vtiger_access_key FROM connectors")).scalar_one()
    engine.dispose()
    assert KEY not in stored


def test_add_reads_secrets_from_files_or_a_hidden_prompt(data_dir: Path) -> None:
    runner = CliRunner()
    key_file = data_dir / "key.txt"
    key_file.write_text(KEY + "\n")
    result = _add(runner, "--vtiger-access-key-file", str(key_file), input=SECRET + "\n")
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    assert SECRET not in result.output  # type: ignore[attr-defined]
    with session_factory(init_db(get_settings().database_url)).begin() as session:
        row = repos.get_connector_by_name(session, "main")
    assert row is not None and row.vtiger_access_key == KEY and row.client_secret == SECRET


def test_secrets_are_never_command_line_options(data_dir: Path) -> None:
    result = _add(CliRunner(), "--vtiger-access-key", KEY)
    assert result.exit_code == 2  # type: ignore[attr-defined]


def test_bad_values_are_clear_errors(data_dir: Path) -> None:
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    result = _add(runner, "--direction", "sideways", env=env)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert "direction must be one of" in result.output  # type: ignore[attr-defined]
    result = _add(runner, "--sync-records-from", "2y", env=env)
    assert "sync_records_from" in result.output  # type: ignore[attr-defined]


def test_a_sync_records_from_date_in_the_future_is_refused(data_dir: Path) -> None:
    """Issue 11 item 6: a first-run cutoff after today would sync nothing, silently."""
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    result = _add(runner, "--sync-records-from", tomorrow, env=env)
    assert result.exit_code == 1  # type: ignore[attr-defined]
    assert f"{tomorrow} is in the future" in result.output  # type: ignore[attr-defined]
    past = (datetime.now(UTC) - timedelta(days=2)).date().isoformat()
    assert _add(runner, "--sync-records-from", past, env=env).exit_code == 0  # type: ignore[attr-defined]


def test_set_list_and_remove(data_dir: Path) -> None:
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    _add(runner, env=env)
    result = runner.invoke(
        app,
        ["connector", "set", "main", "--conflict-policy", "crm", "--debug", "--frequency", "60m"],
    )
    assert result.exit_code == 0, result.output
    shown = _show(runner)
    assert shown["settings"]["sync"]["conflict_policy"] == "crm" and shown["debug_until"]
    assert shown["settings"]["sync"]["direction"] == "crm_to_cc", "other settings kept"
    listed = runner.invoke(app, ["connector", "list", "--json"])
    assert [c["name"] for c in json.loads(listed.output)] == ["main"]
    removed = runner.invoke(app, ["connector", "remove", "main", "--yes"])
    assert removed.exit_code == 0
    assert json.loads(runner.invoke(app, ["connector", "list", "--json"]).output) == []


def test_set_takes_a_new_secret_from_a_file_and_never_echoes_it(data_dir: Path) -> None:
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    _add(runner, env=env)
    new_key = "new-vtiger-key-98765"
    key_file = data_dir / "key.txt"
    key_file.write_text(new_key + "\n")
    args = ["connector", "set", "main", "--vtiger-access-key-file", str(key_file),
            "--vtiger-url", "https://crm.example/", "--cc-rate", "2.5"]  # fmt: skip

    result = runner.invoke(app, args)

    assert result.exit_code == 0, result.output
    table = runner.invoke(app, ["connector", "show", "main"], env={"COLUMNS": "200"}).output
    shown = _show(runner)
    for text_out in (result.output, table, json.dumps(shown)):
        assert new_key not in text_out and KEY not in text_out and SECRET not in text_out
    assert "vtiger_url" in table and "https://crm.example/" in table
    assert shown["settings"]["crm"]["url"] == "https://crm.example/"
    assert shown["settings"]["cc"]["rate"] == 2.5
    assert "access_key" not in shown["settings"]["crm"]
    with session_factory(init_db(get_settings().database_url)).begin() as session:
        row = repos.get_connector_by_name(session, "main")
    assert row is not None and row.vtiger_access_key == new_key and row.client_secret == SECRET


def test_unknown_connector_is_a_clear_error(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["connector", "show", "nope"])
    assert result.exit_code == 1
    assert "no connector named 'nope'" in result.output


def test_db_upgrade_reports_the_head_revision(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    result = CliRunner().invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    current = CliRunner().invoke(app, ["db", "current"])
    revision = current.output.split()[1].rstrip(",")
    assert revision != "none" and current.output.strip().endswith(revision)


def test_db_rotate_keys_re_encrypts_every_secret_with_the_new_key(
    data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = CliRunner()
    env = {"CCSYNC_VTIGER_ACCESS_KEY": KEY, "CCSYNC_CC_CLIENT_SECRET": SECRET}
    assert _add(runner, env=env).exit_code == 0  # type: ignore[attr-defined]
    old = (data_dir / "secret.key").read_text().strip()
    new = Fernet.generate_key().decode()
    monkeypatch.setenv("CCSYNC_SECRET_KEYS", f"{new},{old}")

    result = runner.invoke(app, ["db", "rotate-keys"])

    assert result.exit_code == 0, result.output
    assert "Re-encrypted 2" in result.output
    configure_encryption([new])  # the old key is gone: every secret must still be readable
    with session_factory(init_db(get_settings().database_url)).begin() as session:
        row = repos.get_connector_by_name(session, "main")
    assert row is not None and row.vtiger_access_key == KEY and row.client_secret == SECRET
