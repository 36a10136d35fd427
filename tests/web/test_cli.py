"""``ccsync user add``: the password comes from the environment, a file or a prompt."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ccsync.cli import app
from ccsync.settings import get_settings
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.repos.users import authenticate


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    return tmp_path


def _can_sign_in(data_dir: Path, name: str, password: str) -> str | None:
    settings = get_settings(data_dir=data_dir)
    configure_encryption(settings.fernet_keys)
    engine = init_db(settings.database_url)
    try:
        with session_factory(engine)() as session:
            user = authenticate(session, name, password)
            return user.role if user else None
    finally:
        engine.dispose()


def test_user_add_reads_the_password_from_the_environment(data_dir: Path) -> None:
    runner = CliRunner()
    env = {"CCSYNC_USER_PASSWORD": "from-the-env-123"}
    result = runner.invoke(app, ["user", "add", "alice", "--admin"], env=env)
    assert result.exit_code == 0, result.output
    assert _can_sign_in(data_dir, "alice", "from-the-env-123") == "admin"
    again = runner.invoke(app, ["user", "add", "alice", "--user"], env=env)
    assert again.exit_code == 1 and "exists already" in again.output


def test_user_add_reads_a_password_file_or_prompts(data_dir: Path, tmp_path: Path) -> None:
    secret = tmp_path / "pw.txt"
    secret.write_text("from-a-file-456\n")
    runner = CliRunner()
    result = runner.invoke(app, ["user", "add", "bob", "--password-file", str(secret)])
    assert result.exit_code == 0, result.output
    assert _can_sign_in(data_dir, "bob", "from-a-file-456") == "user"
    typed = runner.invoke(app, ["user", "add", "carol"], input="typed-pass-789\ntyped-pass-789\n")
    assert typed.exit_code == 0, typed.output
    assert "typed-pass-789" not in typed.output
    assert _can_sign_in(data_dir, "carol", "typed-pass-789") == "user"


def test_a_short_password_is_refused(data_dir: Path) -> None:
    result = CliRunner().invoke(app, ["user", "add", "dave"], env={"CCSYNC_USER_PASSWORD": "short"})
    assert result.exit_code == 1 and "at least 10 characters" in result.output
