"""Store fixtures on both dialects.

PostgreSQL tests need the server on 127.0.0.1:5432 with trust auth; they never skip. Each test
session (each xdist worker) creates a throw-away database ``ccsync_test_<random>`` and drops it
at the end.
"""

from __future__ import annotations

import secrets
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from cryptography.fernet import Fernet
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from ccsync.store import repos
from ccsync.store.crypto import configure_encryption
from ccsync.store.db import init_db, session_factory
from ccsync.store.engines import make_engine
from ccsync.store.models import Base, User

PG_ADMIN = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


@dataclass
class Db:
    """A migrated store for one test, with one user and one connector."""

    url: str
    engine: Engine
    sessions: sessionmaker[Session]
    keys: list[str]
    data_dir: Path
    connector_id: int


@pytest.fixture(scope="session")
def pg_database() -> Iterator[str]:
    """URL of a fresh PostgreSQL database, dropped after the session."""
    name = f"ccsync_test_{secrets.token_hex(6)}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield PG_URL.format(name=name)
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def pg_engine(pg_database: str) -> Iterator[Engine]:
    """The session's PostgreSQL database, migrated to head."""
    engine = init_db(pg_database)
    yield engine
    engine.dispose()


def _truncate(engine: Engine) -> None:
    names = ", ".join(t.name for t in Base.metadata.sorted_tables)
    with engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A SQLite file migrated to head once per session; tests get copies."""
    path = tmp_path_factory.mktemp("template") / "ccsync.db"
    init_db(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Db]:
    """An empty migrated store on SQLite (a file) or PostgreSQL (truncated after the test)."""
    keys = [Fernet.generate_key().decode()]
    configure_encryption(keys)
    if request.param == "sqlite":
        shutil.copyfile(request.getfixturevalue("sqlite_template"), tmp_path / "ccsync.db")
        url = f"sqlite:///{tmp_path / 'ccsync.db'}"
        engine = make_engine(url)
    else:
        engine = request.getfixturevalue("pg_engine")
        url = engine.url.render_as_string(hide_password=False)
    sessions = session_factory(engine)
    with sessions.begin() as session:
        user = User(username="owner", password_hash="scrypt$unused")
        session.add(user)
        session.flush()
        connector_id = repos.create_connector(session, "main", user.id).id
    try:
        yield Db(url, engine, sessions, keys, tmp_path, connector_id)
    finally:
        if request.param == "sqlite":
            engine.dispose()
        else:
            _truncate(engine)
