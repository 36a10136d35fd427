"""Request dependencies: the app context, the signed-in user, roles and object access.

Every route declares who may call it through one of these dependencies, so authorisation lives
in one place per kind of object and no route can forget it:

- ``current_user`` (signed in through a live server-side session, password changed),
  ``admin_user`` (403 otherwise);
- a connector: ``connector_access`` (admins reach every connector, a standard user only their
  own), ``admin_connector`` (settings, held actions, dead letters: admins only);
- a run (path ``run_id`` or query ``run``) and through it its items and Debug Log entries:
  ``run_access``/``run_query`` (404 unless the run belongs to the connector of the path, which
  ``connector_access`` already checked);
- a dead letter and a "needs attention" item: ``dead_letter_access``, ``attention_access``.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Query, Request
from sqlalchemy.exc import SQLAlchemyError

from ccsync.store.repos.connectors import get_connector
from ccsync.store.repos.held import list_attention
from ccsync.store.repos.retry import list_retries
from ccsync.store.repos.rows import AttentionRow, ConnectorRow, RetryRow, RunRow, UserRow
from ccsync.store.repos.runs import get_run
from ccsync.store.repos.users import get_user
from ccsync.store.repos.websessions import session_user, touch_session
from ccsync.web.context import WebContext

SESSION_TOKEN = "sid"
SESSION_CSRF = "csrf"
log = logging.getLogger(__name__)


class LoginRequired(Exception):
    """No signed-in user: pages redirect to /login, the API answers 401."""


class PasswordChangeRequired(Exception):
    """The user must change the first password before doing anything else."""


def get_ctx(request: Request) -> WebContext:
    """The application context (settings, sessions, job backend)."""
    ctx: WebContext = request.app.state.ctx
    return ctx


def signed_in_user(request: Request) -> UserRow:
    """The user of this session, even if the password must still be changed.

    Raises:
        LoginRequired: nobody is signed in (or the account is gone).
    """
    token = request.session.get(SESSION_TOKEN)
    if not isinstance(token, str):
        raise LoginRequired()
    ctx = get_ctx(request)
    idle = timedelta(minutes=ctx.settings.session_idle_minutes)
    with ctx.sessions() as session:
        found = session_user(session, token, idle=idle)
        user = get_user(session, found[0]) if found is not None else None
    if found is None or user is None:
        # Signed out, ended by a password change or an admin, expired or idle.
        request.session.clear()
        raise LoginRequired()
    if found[1]:
        try:
            with ctx.sessions.begin() as session:
                touch_session(session, token)
        except SQLAlchemyError as exc:  # a read-only database still serves pages
            log.warning("could not note session activity: %s", type(exc).__name__)
    request.state.user = user
    request.state.session_token = token
    return user


def current_user(user: Annotated[UserRow, Depends(signed_in_user)]) -> UserRow:
    """The signed-in user, who has chosen their own password.

    Raises:
        PasswordChangeRequired: the first password is still in use.
    """
    if user.must_change_password:
        raise PasswordChangeRequired()
    return user


def admin_user(user: Annotated[UserRow, Depends(current_user)]) -> UserRow:
    """The signed-in user if an admin.

    Raises:
        HTTPException: 403 for standard users.
    """
    if not user.is_admin:
        raise HTTPException(403, "Only admins can open this page.")
    return user


def load_connector(request: Request, connector_id: int, user: UserRow) -> ConnectorRow:
    """The connector if ``user`` may use it.

    Raises:
        HTTPException: 404 unknown connector, 403 someone else's connector (standard users).
    """
    with get_ctx(request).sessions() as session:
        row = get_connector(session, connector_id)
    if row is None:
        raise HTTPException(404, "No such connector.")
    if not user.is_admin and row.owner_id != user.id:
        raise HTTPException(403, "This connector belongs to another user.")
    return row


def connector_access(
    request: Request,
    connector_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Annotated[UserRow, Depends(current_user)],
) -> ConnectorRow:
    """The connector named in the path, if the signed-in user may use it."""
    return load_connector(request, connector_id, user)


def admin_connector(
    request: Request,
    connector_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    user: Annotated[UserRow, Depends(admin_user)],
) -> ConnectorRow:
    """The connector named in the path, for admins only (settings pages)."""
    return load_connector(request, connector_id, user)


PathId = Annotated[int, Path(ge=1, le=2**31 - 1)]


def _run_of(request: Request, row: ConnectorRow, run_id: int) -> RunRow:
    with get_ctx(request).sessions() as session:
        run = get_run(session, run_id)
    if run is None or run.connector_id != row.id:
        raise HTTPException(404, "No such run.")
    return run


def run_access(
    request: Request, row: Annotated[ConnectorRow, Depends(connector_access)], run_id: PathId
) -> RunRow:
    """The run named in the path, if it belongs to a connector the user may use."""
    return _run_of(request, row, run_id)


def run_query(
    request: Request,
    row: Annotated[ConnectorRow, Depends(connector_access)],
    run: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
) -> RunRow | None:
    """The run named by the ``run`` query parameter (None without one), checked like a path."""
    return None if run is None else _run_of(request, row, run)


def dead_letter_access(
    request: Request,
    row: Annotated[ConnectorRow, Depends(admin_connector)],
    entry_id: PathId,
) -> RetryRow:
    """A dead letter of the connector (admins only: "retry now" writes to both systems)."""
    with get_ctx(request).sessions() as session:
        found = [d for d in list_retries(session, row.id, dead=True) if d.id == entry_id]
    if not found:
        raise HTTPException(404, "No such dead letter.")
    return found[0]


def attention_access(
    request: Request,
    row: Annotated[ConnectorRow, Depends(connector_access)],
    attention_id: PathId,
) -> AttentionRow:
    """A "needs attention" item of a connector the user may use."""
    with get_ctx(request).sessions() as session:
        found = [a for a in list_attention(session, row.id) if a.id == attention_id]
    if not found:
        raise HTTPException(404, "No such item.")
    return found[0]


CurrentUser = Annotated[UserRow, Depends(current_user)]
AdminUser = Annotated[UserRow, Depends(admin_user)]
ConnectorDep = Annotated[ConnectorRow, Depends(connector_access)]
AdminConnectorDep = Annotated[ConnectorRow, Depends(admin_connector)]
HeldDep = Annotated[ConnectorRow, Depends(admin_connector)]  # held actions wait for an admin
RunDep = Annotated[RunRow, Depends(run_access)]
RunQueryDep = Annotated[RunRow | None, Depends(run_query)]
DeadLetterDep = Annotated[RetryRow, Depends(dead_letter_access)]
AttentionDep = Annotated[AttentionRow, Depends(attention_access)]
