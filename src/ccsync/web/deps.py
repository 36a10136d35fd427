"""Request dependencies: the app context, the signed-in user, roles and connector access.

Every route declares who may call it through one of these dependencies, so roles are checked
in one place: ``current_user`` (signed in, password changed), ``admin_user`` (403 otherwise) and
``connector_access`` (admins reach every connector, a standard user only their own).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

from fastapi import Depends, HTTPException, Path, Request

from ccsync.store.repos.connectors import get_connector
from ccsync.store.repos.rows import ConnectorRow, UserRow
from ccsync.store.repos.users import get_user

if TYPE_CHECKING:
    from ccsync.web.app import WebContext

SESSION_USER = "uid"


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
    user_id = request.session.get(SESSION_USER)
    if not isinstance(user_id, int):
        raise LoginRequired()
    with get_ctx(request).sessions() as session:
        user = get_user(session, user_id)
    if user is None:
        request.session.clear()
        raise LoginRequired()
    request.state.user = user
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
CurrentUser = Annotated[UserRow, Depends(current_user)]
AdminUser = Annotated[UserRow, Depends(admin_user)]
ConnectorDep = Annotated[ConnectorRow, Depends(connector_access)]
AdminConnectorDep = Annotated[ConnectorRow, Depends(admin_connector)]
