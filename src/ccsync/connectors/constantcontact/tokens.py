"""OAuth token persistence that survives rotation: versions, compare-and-swap, a refresh lock.

A rotated refresh token works once. Losing the new pair after the provider issued it means the
grant is dead, so a store keeps a version number and only accepts a new pair from a writer that
saw the current version (``swap``); refreshes are serialised across processes (``refresh_lock``).
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

from filelock import FileLock


@dataclass(frozen=True, slots=True)
class TokenSet:
    """One access token with its refresh token (secrets are kept out of the repr)."""

    access_token: str = field(repr=False)
    refresh_token: str | None = field(repr=False)
    expires_at: datetime
    scope: str
    version: int = 0

    @classmethod
    def from_response(
        cls, raw: dict[str, Any], now: datetime, previous_refresh: str | None = None
    ) -> TokenSet:
        """Build a set from a token endpoint answer (``expires_in`` is relative to ``now``)."""
        expires_in = float(raw.get("expires_in") or 3600)
        refresh = raw.get("refresh_token") or previous_refresh
        return cls(
            access_token=str(raw["access_token"]),
            refresh_token=str(refresh) if refresh else None,
            expires_at=now + timedelta(seconds=expires_in),
            scope=str(raw.get("scope") or ""),
        )

    def expires_within(self, now: datetime, seconds: float) -> bool:
        """Whether the access token expires less than ``seconds`` after ``now``."""
        return self.expires_at - now < timedelta(seconds=seconds)

    def to_json(self) -> dict[str, Any]:
        """The set as a JSON object."""
        return {
            "access_token": self.access_token,
            "refresh_token": self.refresh_token,
            "expires_at": self.expires_at.isoformat(),
            "scope": self.scope,
            "version": self.version,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TokenSet:
        """Inverse of ``to_json``."""
        return cls(
            access_token=str(data["access_token"]),
            refresh_token=data.get("refresh_token"),
            expires_at=datetime.fromisoformat(str(data["expires_at"])).astimezone(UTC),
            scope=str(data.get("scope") or ""),
            version=int(data.get("version") or 0),
        )


class TokenStore(Protocol):
    """Where one connector's tokens live (file, database row…)."""

    def load(self) -> TokenSet | None:
        """The stored set, or None when nobody signed in."""
        ...

    def swap(self, expected_version: int | None, new: TokenSet) -> TokenSet | None:
        """Atomically store ``new`` if the stored version is still ``expected_version``.

        Args:
            expected_version: the version the caller saw (None = nothing stored).
            new: the set to store; its ``version`` is ignored.

        Returns:
            The stored set with its new version, or None if another writer won.
        """
        ...

    def clear(self) -> None:
        """Forget the tokens (revoke, sign out)."""
        ...

    def refresh_lock(self) -> AbstractContextManager[None]:
        """Held while refreshing: one refresh at a time per connector, across processes."""
        ...


class FileTokenStore:
    """A JSON file guarded by file locks: for the CLI, the demo and tests.

    Args:
        path: the JSON file; ``<path>.lock`` guards writes, ``<path>.refresh.lock`` refreshes.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._write_lock = FileLock(str(self.path) + ".lock")
        self._refresh_lock = FileLock(str(self.path) + ".refresh.lock")

    def __repr__(self) -> str:
        return f"FileTokenStore({str(self.path)!r})"

    def load(self) -> TokenSet | None:
        """The stored set, or None."""
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        return TokenSet.from_json(json.loads(text)) if text.strip() else None

    def swap(self, expected_version: int | None, new: TokenSet) -> TokenSet | None:
        """Compare-and-swap under the write lock; the file is replaced atomically."""
        with self._write_lock:
            current = self.load()
            if (None if current is None else current.version) != expected_version:
                return None
            stored = replace(new, version=(expected_version or 0) + 1)
            self._write(stored.to_json())
            return stored

    def clear(self) -> None:
        """Delete the file."""
        with self._write_lock:
            self.path.unlink(missing_ok=True)

    def refresh_lock(self) -> AbstractContextManager[None]:
        """A cross-process file lock (also excludes other threads of this process)."""
        return _LockContext(self._refresh_lock)

    def _write(self, data: dict[str, Any]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=".tokens-")
        with os.fdopen(fd, "w") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.path)


class _LockContext(AbstractContextManager[None]):
    def __init__(self, lock: FileLock) -> None:
        self._lock = lock

    def __enter__(self) -> None:
        self._lock.acquire()

    def __exit__(self, *exc: object) -> None:
        self._lock.release()
