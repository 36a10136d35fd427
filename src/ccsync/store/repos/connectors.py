"""Connectors (settings, encrypted secrets, status) and their per-side change-read state."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from ccsync.errors import AlreadyExists, InvalidRequest, NotFound
from ccsync.store.models import Connector, SideState, Token, utcnow
from ccsync.store.repos._convert import to_row
from ccsync.store.repos.rows import CONNECTOR_STATUSES, ConnectorRow

SIDES = ("crm", "cc")
_UNSET: Any = object()


def _connector(session: Session, connector_id: int) -> Connector:
    connector = session.get(Connector, connector_id)
    if connector is None:
        raise NotFound(f"no connector {connector_id}")
    return connector


def create_connector(
    session: Session,
    name: str,
    owner_id: int,
    settings: Mapping[str, Any] | None = None,
    *,
    client_secret: str | None = None,
    vtiger_access_key: str | None = None,
    status: str = "not_configured",
) -> ConnectorRow:
    """Create a connector.

    Args:
        session: an open session (the caller commits).
        name: unique name.
        owner_id: the user whose Vtiger contacts and CC account it syncs.
        settings: the nested settings JSON (``{"crm": …, "cc": …, "sync": …}``).
        client_secret: CC client secret (stored encrypted).
        vtiger_access_key: Vtiger access key (stored encrypted).
        status: initial status (one of ``CONNECTOR_STATUSES``).

    Returns:
        The new connector.

    Raises:
        AlreadyExists: the name is taken.
        InvalidRequest: unknown status.
    """
    _check_status(status)
    if session.scalar(select(Connector.id).where(Connector.name == name)) is not None:
        raise AlreadyExists(f"connector {name!r} exists already")
    connector = Connector(
        name=name,
        owner_id=owner_id,
        settings=dict(settings or {}),
        client_secret=client_secret,
        vtiger_access_key=vtiger_access_key,
        status=status,
    )
    session.add(connector)
    session.flush()
    return to_row(ConnectorRow, connector)


def get_connector(session: Session, connector_id: int) -> ConnectorRow | None:
    """The connector with ``connector_id``, or None."""
    connector = session.get(Connector, connector_id)
    return None if connector is None else to_row(ConnectorRow, connector)


def get_connector_by_name(session: Session, name: str) -> ConnectorRow | None:
    """The connector called ``name``, or None."""
    connector = session.scalar(select(Connector).where(Connector.name == name))
    return None if connector is None else to_row(ConnectorRow, connector)


def list_connectors(session: Session, owner_id: int | None = None) -> list[ConnectorRow]:
    """All connectors (or those of ``owner_id``), by name."""
    stmt = select(Connector).order_by(Connector.name)
    if owner_id is not None:
        stmt = stmt.where(Connector.owner_id == owner_id)
    return [to_row(ConnectorRow, c) for c in session.scalars(stmt)]


def update_connector_settings(
    session: Session, connector_id: int, changes: Mapping[str, Any], *, replace: bool = False
) -> ConnectorRow:
    """Merge ``changes`` into the settings (or replace them all with ``replace=True``).

    The settings are nested (``{"crm": {...}, "cc": {...}, "sync": {...}}``): a part in
    ``changes`` is merged into the stored part key by key, so ``{"sync": {"frequency": "off"}}``
    changes the frequency alone.

    Raises:
        NotFound: no such connector.
    """
    connector = _connector(session, connector_id)
    merged = {} if replace else dict(connector.settings)
    for key, value in changes.items():
        old = merged.get(key)
        if isinstance(old, Mapping) and isinstance(value, Mapping):
            value = {**old, **value}
        merged[key] = value
    # A new dict object, so the JSON column is seen as changed.
    connector.settings = merged
    session.flush()
    return to_row(ConnectorRow, connector)


def set_connector_secrets(
    session: Session,
    connector_id: int,
    *,
    client_secret: str | None = _UNSET,
    vtiger_access_key: str | None = _UNSET,
) -> None:
    """Replace the given secrets (omitted ones stay; ``None`` clears).

    Raises:
        NotFound: no such connector.
    """
    connector = _connector(session, connector_id)
    if client_secret is not _UNSET:
        connector.client_secret = client_secret
    if vtiger_access_key is not _UNSET:
        connector.vtiger_access_key = vtiger_access_key
    session.flush()


def _check_status(status: str) -> None:
    if status not in CONNECTOR_STATUSES:
        raise InvalidRequest(f"status must be one of {', '.join(CONNECTOR_STATUSES)}")


def set_connector_status(
    session: Session, connector_id: int, status: str, detail: str | None = None
) -> None:
    """Set the status (``CONNECTOR_STATUSES``) with an optional human-readable detail.

    Raises:
        InvalidRequest: unknown status.
        NotFound: no such connector.
    """
    _check_status(status)
    connector = _connector(session, connector_id)
    connector.status = status
    connector.status_detail = detail
    session.flush()


def clear_crm_auth(session: Session, connector_id: int) -> bool:
    """New Vtiger credentials were saved: a connector whose key Vtiger refused (``crm_auth``)
    goes back to its Constant Contact state (``connected`` with tokens, else ``needs_sign_in``).

    Returns:
        Whether the status changed.
    """
    connector = _connector(session, connector_id)
    if connector.status != "crm_auth":
        return False
    signed_in = session.scalar(select(Token.id).where(Token.connector_id == connector_id))
    connector.status = "connected" if signed_in is not None else "needs_sign_in"
    connector.status_detail = None
    session.flush()
    return True


def update_connector(session: Session, connector_id: int, **values: datetime | str | None) -> None:
    """Set ``cc_account_id``, ``paused_until``, ``debug_until`` or ``first_run_cutoff``.

    Raises:
        InvalidRequest: another column was named.
        NotFound: no such connector.
    """
    allowed = {"cc_account_id", "paused_until", "debug_until", "first_run_cutoff"}
    unknown = set(values) - allowed
    if unknown:
        raise InvalidRequest(f"cannot set {', '.join(sorted(unknown))} with update_connector")
    connector = _connector(session, connector_id)
    for name, value in values.items():
        setattr(connector, name, value)
    session.flush()


def delete_connector(session: Session, connector_id: int) -> bool:
    """Delete a connector with everything it owns (links, runs, tokens…).

    Returns:
        False when there was no such connector.
    """
    connector = session.get(Connector, connector_id)
    if connector is None:
        return False
    session.delete(connector)
    session.flush()
    return True


def get_state(session: Session, connector_id: int, side: str) -> str | None:
    """The stored change-read state of ``side`` (None before the first run)."""
    return session.scalar(
        select(SideState.state).where(
            SideState.connector_id == connector_id, SideState.side == side
        )
    )


def put_state(
    session: Session, connector_id: int, side: str, state: str, now: datetime | None = None
) -> None:
    """Store the change-read state of ``side`` (after every record of its set is acknowledged).

    Raises:
        InvalidRequest: ``side`` is not ``"crm"`` or ``"cc"``.
    """
    if side not in SIDES:
        raise InvalidRequest("side must be 'crm' or 'cc'")
    row = session.get(SideState, (connector_id, side))
    if row is None:
        row = SideState(connector_id=connector_id, side=side)
        session.add(row)
    row.state = state
    row.updated_at = now or utcnow()
    session.flush()


def clear_state(session: Session, connector_id: int) -> None:
    """Forget both sides' states: the next run is a first run (account change, resync)."""
    session.execute(delete(SideState).where(SideState.connector_id == connector_id))
