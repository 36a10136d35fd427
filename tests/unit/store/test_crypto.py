"""Encryption at rest: raw columns hold Fernet tokens, the models read clear text, rotation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from ccsync.connectors.constantcontact.tokens import TokenSet
from ccsync.errors import ConfigError
from ccsync.store import repos
from ccsync.store.crypto import configure_encryption, make_fernet
from ccsync.store.rotation import rotate_all
from ccsync.store.tokens import DbTokenStore

from .conftest import Store

SECRET = "client-secret-VALUE-123"
ACCESS_KEY = "vtiger-ACCESS-key-456"


def _raw(store: Store, sql: str) -> list[str | None]:
    with store.engine.connect() as connection:
        return [row[0] for row in connection.execute(text(sql))]


def _seed(store: Store) -> None:
    with store.sessions.begin() as session:
        repos.set_connector_secrets(
            session, store.connector_id, client_secret=SECRET, vtiger_access_key=ACCESS_KEY
        )
    tokens = TokenSet("access-AAA", "refresh-BBB", datetime.now(UTC) + timedelta(hours=1), "s")
    assert DbTokenStore(store.sessions, store.connector_id, store.data_dir).swap(None, tokens)


def test_secrets_are_unreadable_in_the_raw_table(store: Store) -> None:
    _seed(store)
    raw = _raw(store, "SELECT client_secret FROM connectors") + _raw(
        store, "SELECT vtiger_access_key FROM connectors"
    )
    raw += _raw(store, "SELECT access_token FROM tokens") + _raw(
        store, "SELECT refresh_token FROM tokens"
    )
    assert len(raw) == 4
    for value in raw:
        assert value is not None
        for clear in (SECRET, ACCESS_KEY, "access-AAA", "refresh-BBB"):
            assert clear not in value
        assert Fernet(store.key).decrypt(value.encode())  # a real Fernet token of our key


def test_models_read_clear_text(store: Store) -> None:
    _seed(store)
    with store.sessions() as session:
        connector = repos.get_connector(session, store.connector_id)
    assert connector is not None
    assert (connector.client_secret, connector.vtiger_access_key) == (SECRET, ACCESS_KEY)
    assert SECRET not in repr(connector) and ACCESS_KEY not in repr(connector)
    loaded = DbTokenStore(store.sessions, store.connector_id, store.data_dir).load()
    assert loaded is not None
    assert (loaded.access_token, loaded.refresh_token) == ("access-AAA", "refresh-BBB")


def test_rotation_re_encrypts_with_the_new_key(store: Store) -> None:
    _seed(store)
    before = _raw(store, "SELECT client_secret FROM connectors")[0]
    new = Fernet.generate_key().decode()
    configure_encryption([new, store.key])
    with store.sessions.begin() as session:
        assert rotate_all(session) == 4  # two connector secrets, two tokens
    after = _raw(store, "SELECT client_secret FROM connectors")[0]
    assert after is not None and after != before
    assert Fernet(new).decrypt(after.encode()).decode() == SECRET
    # The old key can be dropped now: everything still reads.
    configure_encryption([new])
    with store.sessions() as session:
        connector = repos.get_connector(session, store.connector_id)
    assert connector is not None and connector.client_secret == SECRET


def test_missing_key_is_a_clear_error_without_the_value(store: Store) -> None:
    _seed(store)
    configure_encryption([Fernet.generate_key().decode()])
    with store.sessions() as session, pytest.raises(ConfigError) as caught:
        repos.get_connector(session, store.connector_id)
    assert "cannot be decrypted" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_rotation_refuses_values_no_key_can_read(store: Store) -> None:
    _seed(store)
    stranger = make_fernet([Fernet.generate_key().decode()])
    with store.sessions.begin() as session, pytest.raises(ConfigError, match="connectors"):
        rotate_all(session, stranger)


def test_make_fernet_refuses_bad_or_no_keys() -> None:
    with pytest.raises(ConfigError, match="#2"):
        make_fernet([Fernet.generate_key().decode(), "short"])
    with pytest.raises(ConfigError, match="no encryption key"):
        make_fernet([])
