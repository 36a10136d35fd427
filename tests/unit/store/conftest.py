"""Fixtures for store unit tests: a migrated SQLite file per test, encryption configured."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.engines import make_engine
from ccsync.store.models import User
from ccsync.store.repos.users import hash_password


@dataclass
class Store:
    """A migrated database for one test."""

    url: str
    data_dir: Path
    engine: Engine
    sessions: sessionmaker[Session]
    key: str
    connector_id: int
    user_id: int


@pytest.fixture(scope="session")
def admin_hash() -> str:
    """One scrypt hash for every fixture user (hashing costs ~0.1 s on purpose)."""
    return hash_password("pw-admin-1")


@pytest.fixture(scope="session")
def migrated_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies (saves ~0.15 s each)."""
    path = tmp_path_factory.mktemp("template") / "ccsync.db"
    init_db(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture
def store(tmp_path: Path, admin_hash: str, migrated_file: Path) -> Iterator[Store]:
    """A fresh SQLite store with one admin user and one connector."""
    key = Fernet.generate_key().decode()
    configure_encryption([key])
    shutil.copyfile(migrated_file, tmp_path / "ccsync.db")
    url = f"sqlite:///{tmp_path / 'ccsync.db'}"
    engine = make_engine(url)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        user = User(username="admin", password_hash=admin_hash, role="admin")
        session.add(user)
        session.flush()
        connector = repos.create_connector(
            session, "main", user.id, {"sync": {"direction": "both"}}
        )
    yield Store(url, tmp_path, engine, sessions, key, connector.id, user.id)
    engine.dispose()
