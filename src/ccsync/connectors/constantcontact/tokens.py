"""A file token store for the CLI, the demo and tests (``TokenSet`` and the ``TokenStore``
protocol live in ``ccsync.connectors.tokens``; they are re-exported here)."""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import AbstractContextManager
from dataclasses import replace
from pathlib import Path
from typing import Any

from filelock import FileLock

from ccsync.connectors.tokens import TokenSet, TokenStore

__all__ = ["FileTokenStore", "TokenSet", "TokenStore"]


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
