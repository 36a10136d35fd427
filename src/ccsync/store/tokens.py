"""OAuth tokens in the database: encrypted, compare-and-swap writes, a cross-process refresh lock.

``DbTokenStore`` implements ``ccsync.connectors.tokens.TokenStore``. A rotated
refresh token works exactly once, so a new pair is stored only by the writer that saw the current
version (``UPDATE … WHERE version = :expected``), and refreshes are serialised per connector —
with ``pg_advisory_lock`` on PostgreSQL (works across machines) and a lock file in the data
directory on SQLite (one machine by construction).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from filelock import FileLock, Timeout
from sqlalchemy import Engine, delete, select, text, update
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from ccsync.connectors.tokens import TokenSet
from ccsync.errors import RetriableError
from ccsync.store.models import Token
from ccsync.store.upsert import dialect_insert, rowcount

# First key of the two-integer advisory lock space reserved for token refreshes.
_PG_LOCK_CLASS = 0x63637472
REFRESH_LOCK_TIMEOUT_S = 60.0


class DbTokenStore:
    """The tokens of one connector in the ``tokens`` table.

    Args:
        sessions: the store's session factory.
        connector_id: whose tokens.
        lock_dir: where SQLite installs keep the refresh lock files (the data directory).
        lock_timeout: seconds ``refresh_lock`` waits before giving up.
    """

    def __init__(
        self,
        sessions: sessionmaker[Session],
        connector_id: int,
        lock_dir: Path,
        *,
        lock_timeout: float = REFRESH_LOCK_TIMEOUT_S,
    ) -> None:
        self._sessions = sessions
        self.connector_id = connector_id
        self.lock_dir = Path(lock_dir)
        self.lock_timeout = lock_timeout

    def __repr__(self) -> str:
        return f"DbTokenStore(connector_id={self.connector_id})"

    def load(self) -> TokenSet | None:
        """The stored set, or None when nobody signed in."""
        with self._sessions() as session:
            row = session.scalar(select(Token).where(Token.connector_id == self.connector_id))
            return None if row is None else _to_set(row)

    def swap(self, expected_version: int | None, new: TokenSet) -> TokenSet | None:
        """Store ``new`` only if the stored version is still ``expected_version``.

        Args:
            expected_version: the version the caller saw; None means "nothing stored".
            new: the set to store (its ``version`` is ignored).

        Returns:
            The stored set with version ``expected_version + 1`` (1 for a first store), or None
            if another writer changed the tokens first.
        """
        stored = replace(new, version=(expected_version or 0) + 1)
        with self._sessions.begin() as session:
            if expected_version is None:
                won = self._insert(session, stored)
            else:
                won = self._update(session, expected_version, stored)
        return stored if won else None

    def _values(self, tokens: TokenSet) -> dict[str, object]:
        return {
            "access_token": tokens.access_token,
            "refresh_token": tokens.refresh_token,
            "expires_at": tokens.expires_at,
            "scope": tokens.scope,
            "version": tokens.version,
            "updated_at": datetime.now(UTC),
        }

    def _insert(self, session: Session, tokens: TokenSet) -> bool:
        stmt = dialect_insert(session, Token).values(
            connector_id=self.connector_id, **self._values(tokens)
        )
        stmt = stmt.on_conflict_do_nothing(index_elements=[Token.connector_id])
        return rowcount(session.execute(stmt)) == 1

    def _update(self, session: Session, expected: int, tokens: TokenSet) -> bool:
        stmt = (
            update(Token)
            .where(Token.connector_id == self.connector_id, Token.version == expected)
            .values(**self._values(tokens))
        )
        return rowcount(session.execute(stmt)) == 1

    def clear(self) -> None:
        """Delete the tokens (revoke, sign out)."""
        with self._sessions.begin() as session:
            session.execute(delete(Token).where(Token.connector_id == self.connector_id))

    def refresh_lock(self) -> AbstractContextManager[None]:
        """Held while refreshing: one refresh per connector at a time, across processes.

        Raises:
            RetriableError: the lock was not obtained within ``lock_timeout`` seconds.
        """
        if self._engine().dialect.name == "postgresql":
            return self._pg_lock()
        return self._file_lock()

    def _engine(self) -> Engine:
        bind = self._sessions.kw["bind"]
        assert isinstance(bind, Engine)  # session_factory() always binds an engine
        return bind

    @contextmanager
    def _pg_lock(self) -> Iterator[None]:
        # A session-level advisory lock lives on one connection: hold that connection for the
        # whole refresh, and unlock on it before it goes back to the pool.
        with self._engine().connect() as connection:
            args = {"cls": _PG_LOCK_CLASS, "obj": self.connector_id}
            timeout = f"{max(1, int(self.lock_timeout * 1000))}ms"
            # Transaction-local, so the pooled connection keeps its default lock_timeout.
            connection.execute(text("SELECT set_config('lock_timeout', :t, true)"), {"t": timeout})
            try:
                connection.execute(text("SELECT pg_advisory_lock(:cls, :obj)"), args)
            except OperationalError:  # lock_timeout expired (LockNotAvailable)
                raise RetriableError("another process is refreshing the tokens") from None
            connection.commit()
            try:
                yield
            finally:
                connection.execute(text("SELECT pg_advisory_unlock(:cls, :obj)"), args)
                connection.commit()

    @contextmanager
    def _file_lock(self) -> Iterator[None]:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(self.lock_dir / f"token-refresh-{self.connector_id}.lock"))
        try:
            lock.acquire(timeout=self.lock_timeout)
        except Timeout:
            raise RetriableError("another process is refreshing the tokens") from None
        try:
            yield
        finally:
            lock.release()


def _to_set(row: Token) -> TokenSet:
    return TokenSet(
        access_token=row.access_token,
        refresh_token=row.refresh_token,
        expires_at=row.expires_at,
        scope=row.scope,
        version=row.version,
    )
