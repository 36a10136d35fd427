"""Encryption at rest for secrets and tokens (Fernet / MultiFernet).

``EncryptedText`` columns encrypt on write and decrypt on read with the keys given to
``configure_encryption`` (the current key first). Rotating keys (``store/rotation.py``) is: put
a new key first in ``CCSYNC_SECRET_KEYS``, keep the old ones after it, run ``rotate_all``
(re-encrypts every value with the new key), then drop the old keys.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, Table, Text
from sqlalchemy.types import TypeDecorator

from ccsync.errors import ConfigError

_lock = threading.Lock()
_fernet: MultiFernet | None = None


def make_fernet(keys: Sequence[str]) -> MultiFernet:
    """A ``MultiFernet`` over ``keys`` (the first encrypts, all decrypt).

    Args:
        keys: url-safe base64 Fernet keys, current key first.

    Returns:
        The combined Fernet.

    Raises:
        ConfigError: no key, or a key that is not a valid Fernet key.
    """
    if not keys:
        raise ConfigError("no encryption key configured")
    fernets = []
    for index, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key))
        except (ValueError, TypeError):
            raise ConfigError(f"secret key #{index} is not a valid Fernet key") from None
    return MultiFernet(fernets)


def configure_encryption(keys: Sequence[str]) -> None:
    """Set the keys every ``EncryptedText`` column of this process uses.

    Args:
        keys: Fernet keys, current first (``AppSettings.fernet_keys``).
    """
    global _fernet
    fernet = make_fernet(keys)
    with _lock:
        _fernet = fernet


def current_fernet() -> MultiFernet:
    """The configured ``MultiFernet``.

    Raises:
        ConfigError: ``configure_encryption`` was never called in this process.
    """
    with _lock:
        fernet = _fernet
    if fernet is None:
        raise ConfigError("encryption keys are not configured (call configure_encryption)")
    return fernet


class EncryptedText(TypeDecorator[str]):
    """A text column stored as a Fernet token; ``None`` stays ``NULL``."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return current_fernet().encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: Any | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return current_fernet().decrypt(str(value).encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise ConfigError(
                "a stored secret cannot be decrypted with the configured keys "
                "(was a key removed from CCSYNC_SECRET_KEYS?)"
            ) from None


def encrypted_columns(tables: Sequence[Table]) -> list[tuple[Table, str]]:
    """``(table, column name)`` of every ``EncryptedText`` column in ``tables``."""
    return [
        (table, column.name)
        for table in tables
        for column in table.columns
        if isinstance(column.type, EncryptedText)
    ]
