"""Application settings: data directory, database URL, encryption and session keys.

Settings come from ``CCSYNC_*`` environment variables (or keyword overrides) and are built by
``get_settings()`` — never at import time, so tests and subprocesses each see their own
environment. For the embedded default (SQLite in the data directory) missing keys are generated
once into owner-only files in the data directory and reused afterwards::

    settings = get_settings(data_dir=tmp_path)
    settings.database_url          # 'sqlite:///<tmp_path>/ccsync.db'
    settings.fernet_keys           # ['<generated key>'] (also in <tmp_path>/secret.key, 0600)

An external database (PostgreSQL) is shared by several machines, so a per-machine key file would
make secrets unreadable elsewhere: there ``CCSYNC_SECRET_KEYS`` must be set explicitly (unless a
key file already exists in the data directory).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import stat
from pathlib import Path
from typing import Any, Literal

from cryptography.fernet import Fernet
from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url

from ccsync.errors import ConfigError

SECRET_KEY_FILE = "secret.key"
SESSION_KEY_FILE = "session.key"
DATABASE_FILE = "ccsync.db"


class AppSettings(BaseSettings):
    """Settings of one ccsync installation (env prefix ``CCSYNC_``).

    Attributes:
        data_dir: where the SQLite database, key files and lock files live (created on demand).
        database_url: SQLAlchemy URL; default ``sqlite:///<data_dir>/ccsync.db``.
        secret_keys: comma-separated Fernet keys, the first encrypts, all decrypt (rotation).
        session_secret: key that signs web sessions.
        base_url: the externally visible URL of the web app.
        debug_retention_days: how long debug-log entries are kept.
        session_lifetime_hours: a web sign-in ends this long after it started.
        session_idle_minutes: a web sign-in ends after this long without a request.
        max_body_bytes: the largest request body the web app reads (413 above it).
        metrics_token: the Bearer token ``/metrics`` requires (unset: ``/metrics`` is off).
        login_max_hashing: password checks that may run at once (more answer 503 at once).
        login_free_failures: wrong passwords allowed per account or address before backoff.
        login_max_backoff_s: the longest wait the login backoff imposes.
        jobs: where runs happen: ``local`` (APScheduler in the serving process, the embedded
            default) or ``procrastinate`` (jobs in PostgreSQL run by ``ccsync worker``
            processes on any number of machines; needs a PostgreSQL ``database_url``).
        worker_concurrency: runs one ``ccsync worker`` process does at once.
        tick_seconds: how often the periodic tick defers the connectors that are due (and
            retries the jobs of workers that died); 60 or a divisor of 60 below it.
        worker_heartbeat_s: how often a worker says it is alive.
        worker_stalled_s: a worker silent this long is dead: its jobs are retried elsewhere and
            its run leases are taken over.
    """

    model_config = SettingsConfigDict(
        env_prefix="CCSYNC_", extra="ignore", hide_input_in_errors=True, validate_default=True
    )

    data_dir: Path = Path("./data")
    database_url: str = ""
    secret_keys: SecretStr = SecretStr("")
    session_secret: SecretStr = SecretStr("")
    base_url: str = "http://127.0.0.1:8765"
    debug_retention_days: int = Field(default=30, ge=1)
    session_lifetime_hours: float = Field(default=24 * 7, gt=0)
    session_idle_minutes: float = Field(default=8 * 60, gt=0)
    max_body_bytes: int = Field(default=2 * 1024 * 1024, ge=1024)
    metrics_token: SecretStr = SecretStr("")
    login_max_hashing: int = Field(default=4, ge=1)
    login_free_failures: int = Field(default=5, ge=1)
    login_max_backoff_s: int = Field(default=900, ge=1)
    jobs: Literal["local", "procrastinate"] = "local"
    worker_concurrency: int = Field(default=4, ge=1, le=64)
    tick_seconds: int = Field(default=60, ge=1, le=60)
    worker_heartbeat_s: float = Field(default=10.0, gt=0)
    worker_stalled_s: float = Field(default=30.0, gt=0)

    @model_validator(mode="after")
    def _resolve(self) -> AppSettings:
        self.data_dir = self.data_dir.expanduser().resolve()
        if not self.data_dir.exists():
            self.data_dir.mkdir(parents=True, mode=0o700)
            self.data_dir.chmod(0o700)  # mkdir's mode is filtered by the umask
        if not self.database_url:
            self.database_url = f"sqlite:///{self.data_dir / DATABASE_FILE}"
        _create_private_sqlite_file(self.database_url)
        self._check_jobs()
        if not self.secret_keys.get_secret_value().strip():
            self.secret_keys = SecretStr(self._key_from_file())
        _check_fernet_keys(split_keys(self.secret_keys.get_secret_value()))
        if not self.session_secret.get_secret_value():
            path = self.data_dir / SESSION_KEY_FILE
            self.session_secret = SecretStr(read_or_create_key(path, secrets.token_urlsafe(48)))
        return self

    def _check_jobs(self) -> None:
        if self.jobs == "procrastinate" and not self.is_postgresql:
            raise ConfigError(
                "CCSYNC_JOBS=procrastinate needs a PostgreSQL CCSYNC_DATABASE_URL "
                "(the job queue lives in that database)"
            )
        if 60 % self.tick_seconds:
            raise ConfigError("CCSYNC_TICK_SECONDS must divide 60 (1, 2, 3, 5, 10, 15, 20, 30, 60)")
        if self.worker_stalled_s <= 2 * self.worker_heartbeat_s:
            raise ConfigError(
                "CCSYNC_WORKER_STALLED_S must be more than twice CCSYNC_WORKER_HEARTBEAT_S"
            )

    def _key_from_file(self) -> str:
        path = self.data_dir / SECRET_KEY_FILE
        if not self.is_embedded and not path.exists():
            raise ConfigError(
                "CCSYNC_SECRET_KEYS must be set when the database is not the embedded SQLite "
                "(every machine sharing the database needs the same key)"
            )
        return read_or_create_key(path, Fernet.generate_key().decode("ascii"))

    @property
    def is_embedded(self) -> bool:
        """True when the database is SQLite (the single-process embedded default)."""
        return self.database_url.startswith("sqlite")

    @property
    def is_postgresql(self) -> bool:
        """True when the database is PostgreSQL (shared by several processes or machines)."""
        return self.database_url.startswith("postgresql")

    @property
    def postgres_dsn(self) -> str | None:
        """The PostgreSQL database as a libpq URL (for psycopg pools), or None for SQLite."""
        if not self.is_postgresql:
            return None
        url = make_url(self.database_url).set(drivername="postgresql")
        return url.render_as_string(hide_password=False)

    @property
    def fernet_keys(self) -> list[str]:
        """The Fernet keys, current first."""
        return split_keys(self.secret_keys.get_secret_value())


def sqlite_path(database_url: str) -> Path | None:
    """The file of a SQLite database URL (None for memory databases and other dialects)."""
    if not database_url.startswith("sqlite"):
        return None
    url = make_url(database_url)
    name = url.database or ""
    if not name or name == ":memory:" or url.query.get("mode") == "memory":
        return None
    if name.startswith("file:"):  # a URI filename (``?uri=true``)
        name = name[len("file:") :]
    return Path(name).expanduser()


def _create_private_sqlite_file(database_url: str) -> None:
    # SQLite gives -wal and -shm the mode of the database file, so an owner-only empty file
    # created here keeps all three private (an existing file is left alone; see
    # ``check_permissions`` for the warning when it is wider).
    path = sqlite_path(database_url)
    if path is None or path.exists() or not path.parent.is_dir():
        return
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        path.chmod(0o600)


def check_permissions(settings: AppSettings) -> list[str]:
    """Warnings for files other local users could read: data dir wider than 0700, database,
    its ``-wal``/``-shm`` journal and the key files wider than 0600.

    Returns:
        One sentence per file that is too open (empty when all are private).
    """
    warnings = []
    checks: list[tuple[Path, int]] = [(settings.data_dir, 0o700)]
    db = sqlite_path(settings.database_url)
    if db is not None:
        checks += [(db, 0o600), (Path(f"{db}-wal"), 0o600), (Path(f"{db}-shm"), 0o600)]
    checks += [
        (settings.data_dir / SECRET_KEY_FILE, 0o600),
        (settings.data_dir / SESSION_KEY_FILE, 0o600),
    ]
    for path, allowed in checks:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except OSError:
            continue
        if mode & ~allowed:
            warnings.append(
                f"{path} has mode {mode:04o}; other local users may read it "
                f"(run: chmod {allowed:04o} {path})"
            )
    return warnings


def split_keys(raw: str) -> list[str]:
    """Split a comma-separated key list, dropping blanks."""
    return [part.strip() for part in raw.split(",") if part.strip()]


def _check_fernet_keys(keys: list[str]) -> None:
    for index, key in enumerate(keys, start=1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            # The key itself must never reach a message or a log.
            raise ConfigError(f"secret key #{index} is not a valid Fernet key") from None


def read_or_create_key(path: Path, new_value: str) -> str:
    """Return the key stored in ``path``, creating it (mode 0600) with ``new_value`` if absent.

    Creation is atomic: the key is written to a private temporary file which is then hard-linked
    into place, so two processes starting together agree on one key and nobody reads a
    half-written file.

    Args:
        path: the key file.
        new_value: the key to store when the file does not exist yet.

    Returns:
        The key in the file (stripped).
    """
    if not path.exists():
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "w") as handle:
                handle.write(new_value + "\n")
            with contextlib.suppress(FileExistsError):
                os.link(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
    return path.read_text(encoding="utf-8").strip()


def get_settings(**overrides: Any) -> AppSettings:
    """Build the settings from the environment, with keyword ``overrides`` taking precedence.

    Args:
        **overrides: field values (``data_dir=...``, ``database_url=...``) that win over
            ``CCSYNC_*`` environment variables.

    Returns:
        Fully resolved settings (data directory created, keys present).

    Raises:
        ConfigError: a key is invalid, or an external database has no ``CCSYNC_SECRET_KEYS``.
    """
    return AppSettings(**overrides)
