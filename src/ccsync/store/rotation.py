"""Key rotation: re-encrypt every stored secret and token with the current (first) key.

Put a new key first in ``CCSYNC_SECRET_KEYS``, keep the old ones after it, run ``rotate_all``,
then drop the old keys::

    configure_encryption([new_key, old_key])
    with sessions.begin() as session:
        rotate_all(session)
"""

from __future__ import annotations

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import Table, Text, literal, select, type_coerce, update
from sqlalchemy.orm import Session

from ccsync.errors import ConfigError
from ccsync.store.crypto import current_fernet, encrypted_columns
from ccsync.store.models import Base


def rotate_all(session: Session, fernet: MultiFernet | None = None) -> int:
    """Re-encrypt every stored secret with the current (first) key.

    Args:
        session: a session inside a transaction; the caller commits.
        fernet: the keys to use; default the configured ones.

    Returns:
        How many values were re-encrypted.

    Raises:
        ConfigError: a value cannot be decrypted with any of the keys.
    """
    fernet = fernet or current_fernet()
    count = 0
    for table, name in encrypted_columns(list(Base.metadata.sorted_tables)):
        count += _rotate_column(session, fernet, table, name)
    return count


def _rotate_column(session: Session, fernet: MultiFernet, table: Table, name: str) -> int:
    (pk,) = table.primary_key.columns
    raw = type_coerce(table.c[name], Text)  # the stored token, not the decrypted value
    rows = session.execute(select(pk, raw).where(table.c[name].is_not(None))).all()
    for key, token in rows:
        try:
            rotated = fernet.rotate(str(token).encode("ascii")).decode("ascii")
        except InvalidToken:
            raise ConfigError(
                f"{table.name}.{name} of row {key} cannot be decrypted with the given keys"
            ) from None
        session.execute(update(table).where(pk == key).values({name: literal(rotated, Text)}))
    return len(rows)
