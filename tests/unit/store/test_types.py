"""UtcDateTime: aware UTC in, aware UTC out; naive datetimes are refused."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import StatementError

from ccsync.store import repos

from .conftest import Store


def test_other_zones_are_stored_as_the_same_instant_in_utc(store: Store) -> None:
    berlin_noon = datetime(2026, 7, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with store.sessions.begin() as session:
        repos.update_connector(session, store.connector_id, paused_until=berlin_noon)
    with store.sessions() as session:
        row = repos.get_connector(session, store.connector_id)
    assert row is not None and row.paused_until == berlin_noon
    assert row.paused_until.utcoffset() == timedelta(0) and row.paused_until.hour == 10


def test_naive_datetimes_are_refused(store: Store) -> None:
    with pytest.raises(StatementError, match="naive"), store.sessions.begin() as session:
        repos.update_connector(session, store.connector_id, debug_until=datetime(2026, 7, 1))
