"""AppSettings: defaults, environment overrides, generated key files."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from ccsync.errors import ConfigError
from ccsync.settings import get_settings


def test_defaults_live_in_the_data_dir(tmp_path: Path) -> None:
    data = tmp_path / "nested" / "data"
    settings = get_settings(data_dir=data)
    assert data.is_dir()
    assert settings.database_url == f"sqlite:///{data.resolve() / 'ccsync.db'}"
    assert settings.base_url == "http://127.0.0.1:8765"
    assert settings.debug_retention_days == 30
    assert settings.is_embedded


def test_generated_keys_are_private_and_reused(tmp_path: Path) -> None:
    first = get_settings(data_dir=tmp_path)
    for name in ("secret.key", "session.key"):
        mode = stat.S_IMODE((tmp_path / name).stat().st_mode)
        assert mode == 0o600, name
    second = get_settings(data_dir=tmp_path)
    assert second.fernet_keys == first.fernet_keys
    assert len(first.fernet_keys) == 1
    assert second.session_secret.get_secret_value() == first.session_secret.get_secret_value()
    token = Fernet(first.fernet_keys[0]).encrypt(b"x")
    assert Fernet(second.fernet_keys[0]).decrypt(token) == b"x"


def test_environment_overrides(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    new, old = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv("CCSYNC_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("CCSYNC_DATABASE_URL", "sqlite:///elsewhere.db")
    monkeypatch.setenv("CCSYNC_SECRET_KEYS", f"{new}, {old}")
    monkeypatch.setenv("CCSYNC_DEBUG_RETENTION_DAYS", "7")
    settings = get_settings()
    assert settings.database_url == "sqlite:///elsewhere.db"
    assert settings.fernet_keys == [new, old]
    assert settings.debug_retention_days == 7
    assert not (tmp_path / "secret.key").exists()
    # The first key encrypts, the second still decrypts.
    token = Fernet(old).encrypt(b"secret")
    assert MultiFernet([Fernet(k) for k in settings.fernet_keys]).decrypt(token) == b"secret"


def test_keyword_overrides_win_over_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CCSYNC_BASE_URL", "http://from-env:1")
    assert get_settings(data_dir=tmp_path, base_url="http://kw:2").base_url == "http://kw:2"


def test_invalid_key_is_refused_without_echoing_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        get_settings(data_dir=tmp_path, secret_keys="not-a-fernet-key-SECRETVALUE")
    assert "SECRETVALUE" not in str(caught.value)
    assert "#1" in str(caught.value)


def test_external_database_requires_explicit_keys(tmp_path: Path) -> None:
    url = "postgresql+psycopg://ccsync@127.0.0.1/ccsync"
    with pytest.raises(ConfigError, match="CCSYNC_SECRET_KEYS"):
        get_settings(data_dir=tmp_path, database_url=url)
    key = Fernet.generate_key().decode()
    assert get_settings(data_dir=tmp_path, database_url=url, secret_keys=key).fernet_keys == [key]


def test_secrets_stay_out_of_repr(tmp_path: Path) -> None:
    settings = get_settings(data_dir=tmp_path)
    text = repr(settings) + str(settings)
    assert settings.fernet_keys[0] not in text
    assert settings.session_secret.get_secret_value() not in text
