"""Users and connectors: password hashes, roles, settings, statuses, side state."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from ccsync.errors import CcsyncError, InvalidRequest, NotFound, SyncError
from ccsync.store import repos
from ccsync.store.repos.users import check_password, hash_password

from .conftest import Store


def test_password_hash_is_salted_and_verifies() -> None:
    first, second = hash_password("s3cret!"), hash_password("s3cret!")
    assert first != second and first.startswith("scrypt$")
    assert "s3cret!" not in first
    assert check_password("s3cret!", first)
    assert not check_password("s3cret?", first)
    assert not check_password("s3cret!", "garbage")


def test_authenticate_and_change_password(store: Store) -> None:
    with store.sessions.begin() as session:
        user = repos.create_user(session, "ann", "first-pw", must_change_password=True)
        assert user.must_change_password and not user.is_admin
    with store.sessions.begin() as session:
        assert repos.authenticate(session, "ann", "wrong") is None
        assert repos.authenticate(session, "nobody", "first-pw") is None
        found = repos.authenticate(session, "ann", "first-pw")
        assert found is not None and found.id == user.id
        repos.change_password(session, user.id, "second-pw")
    with store.sessions() as session:
        assert repos.authenticate(session, "ann", "first-pw") is None
        changed = repos.authenticate(session, "ann", "second-pw")
        assert changed is not None and not changed.must_change_password
        stored = session.execute(text("SELECT password_hash FROM users WHERE username='ann'"))
        assert "second-pw" not in stored.scalar_one()


def test_duplicate_names_and_bad_values_are_refused(store: Store) -> None:
    with store.sessions.begin() as session:
        with pytest.raises(repos.AlreadyExists):
            repos.create_user(session, "admin", "x")
        with pytest.raises(InvalidRequest, match="role"):
            repos.create_user(session, "bob", "x", role="root")
        with pytest.raises(InvalidRequest, match="time zone"):
            repos.set_time_zone(session, store.user_id, "Mars/Olympus")
        with pytest.raises(repos.AlreadyExists):
            repos.create_connector(session, "main", store.user_id)
        with pytest.raises(InvalidRequest, match="status"):
            repos.set_connector_status(session, store.connector_id, "happy")
        with pytest.raises(InvalidRequest, match="side"):
            repos.put_state(session, store.connector_id, "erp", "{}")
        with pytest.raises(InvalidRequest, match="cannot set"):
            repos.update_connector(session, store.connector_id, name="other")
        with pytest.raises(NotFound):
            repos.set_connector_status(session, store.connector_id + 99, "paused")


def test_store_errors_are_in_the_one_tree_and_still_the_builtins() -> None:
    for cls, builtin in ((InvalidRequest, ValueError), (repos.AlreadyExists, ValueError),
                         (repos.NotFound, LookupError)):  # fmt: skip
        assert issubclass(cls, CcsyncError) and issubclass(cls, builtin)
        assert not issubclass(cls, SyncError)  # a caller's mistake is no failed sync


def test_time_zone_role_and_listing(store: Store) -> None:
    with store.sessions.begin() as session:
        bob = repos.create_user(session, "bob", "pw")
        repos.set_time_zone(session, bob.id, "Europe/Berlin")
        repos.set_role(session, bob.id, "admin")
    with store.sessions() as session:
        again = repos.get_user_by_name(session, "bob")
        assert again is not None and again.time_zone == "Europe/Berlin" and again.is_admin
        assert [u.username for u in repos.list_users(session)] == ["admin", "bob"]
        assert repos.count_users(session) == 2
        assert repos.get_user(session, 999) is None


def test_connector_settings_merge_and_status(store: Store) -> None:
    cid = store.connector_id
    with store.sessions.begin() as session:
        repos.update_connector_settings(session, cid, {"sync": {"frequency": "15m"}})
        repos.set_connector_status(session, cid, "reconnect_needed", "invalid_grant")
        cutoff = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
        repos.update_connector(session, cid, cc_account_id="acct-1", first_run_cutoff=cutoff)
        with pytest.raises(ValueError, match="status"):
            repos.update_connector(session, cid, status="connected")
    with store.sessions() as session:
        row = repos.get_connector_by_name(session, "main")
    assert row is not None
    assert row.settings == {"sync": {"direction": "both", "frequency": "15m"}}, "parts merge"
    assert (row.status, row.status_detail) == ("reconnect_needed", "invalid_grant")
    assert row.cc_account_id == "acct-1"
    assert row.first_run_cutoff == cutoff and row.first_run_cutoff.tzinfo is not None
    with store.sessions.begin() as session:
        replaced = repos.update_connector_settings(session, cid, {"a": 1}, replace=True)
    assert replaced.settings == {"a": 1}


def test_connectors_per_owner_and_delete_cascades(store: Store) -> None:
    with store.sessions.begin() as session:
        bob = repos.create_user(session, "bob", "pw")
        other = repos.create_connector(session, "bobs", bob.id)
        repos.put_state(session, other.id, "crm", "watermark")
        repos.start_run(session, other.id, "manual")
    with store.sessions.begin() as session:
        assert [c.name for c in repos.list_connectors(session)] == ["bobs", "main"]
        assert [c.name for c in repos.list_connectors(session, bob.id)] == ["bobs"]
        assert repos.delete_connector(session, other.id)
        assert not repos.delete_connector(session, other.id)
    with store.sessions() as session:
        assert repos.get_state(session, other.id, "crm") is None
        assert repos.list_runs(session, other.id) == []


def test_side_state_round_trip_large(store: Store) -> None:
    big = "x" * (3 * 1024 * 1024)
    with store.sessions.begin() as session:
        assert repos.get_state(session, store.connector_id, "cc") is None
        repos.put_state(session, store.connector_id, "cc", "first")
        repos.put_state(session, store.connector_id, "cc", big)
        repos.put_state(session, store.connector_id, "crm", "crm-state")
        with pytest.raises(ValueError, match="side"):
            repos.put_state(session, store.connector_id, "both", "x")
    with store.sessions.begin() as session:
        assert repos.get_state(session, store.connector_id, "cc") == big
        assert repos.get_state(session, store.connector_id, "crm") == "crm-state"
        repos.clear_state(session, store.connector_id)
    with store.sessions() as session:
        assert repos.get_state(session, store.connector_id, "crm") is None
