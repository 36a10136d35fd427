"""Sign In with Constant Contact (authorization code + ``state`` + PKCE) and Revoke Access.

The protocol itself is authlib's, through ``ccsync.connectors.constantcontact``; this module
keeps the per-browser values (``state``, PKCE verifier) in the signed session, stores the tokens
in the connector's ``DbTokenStore`` and applies sync rule L4 when another CC account signs in:
the old links are archived and both change-read states are cleared, so the next run is a first
run (matching by email, Preview when it would write much).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ccsync.connectors.base import AccountSummary
from ccsync.connectors.constantcontact.oauth import (
    authorization_url,
    exchange_code,
    new_pkce_verifier,
    revoke,
)
from ccsync.connectors.constantcontact.settings import CCConfig, CCSettings
from ccsync.connectors.provider_config import part_as
from ccsync.engine.config import load_config, settings_patch
from ccsync.engine.factory import account_summary
from ccsync.errors import SyncError
from ccsync.store.repos.connectors import (
    clear_state,
    list_connectors,
    set_connector_status,
    update_connector,
    update_connector_settings,
)
from ccsync.store.repos.links import archive_links
from ccsync.store.repos.rows import ConnectorRow
from ccsync.store.tokens import DbTokenStore
from ccsync.web.context import WebContext

if TYPE_CHECKING:
    from ccsync.settings import AppSettings

SESSION_KEY = "oauth"
CALLBACK_PATH = "/oauth/callback"


def redirect_uri(settings: AppSettings) -> str:
    """The Redirect URI to register in the CC application (shown on the OAuth form)."""
    return settings.base_url.rstrip("/") + CALLBACK_PATH


def cc_settings(row: ConnectorRow, app_settings: AppSettings) -> CCSettings:
    """The CC connector settings of ``row``, with the Redirect URI this web app serves."""
    base = part_as(load_config(row).cc, CCConfig).runtime()
    return replace(base, redirect_uri=redirect_uri(app_settings))


def token_store(ctx: WebContext, connector_id: int) -> DbTokenStore:
    """The tokens of one connector."""
    return DbTokenStore(ctx.sessions, connector_id, ctx.settings.data_dir)


def begin(ctx: WebContext, row: ConnectorRow, session: dict[str, Any]) -> str:
    """Remember a fresh ``state`` (and PKCE verifier) in ``session``; return the CC URL."""
    settings = cc_settings(row, ctx.settings)
    state = secrets.token_urlsafe(32)
    verifier = new_pkce_verifier() if settings.uses_pkce else None
    session[SESSION_KEY] = {"state": state, "verifier": verifier, "connector_id": row.id}
    return authorization_url(settings, state, verifier)


@dataclass(frozen=True, slots=True)
class SignInOutcome:
    """What the callback tells the user."""

    ok: bool
    message: str
    connector_id: int | None = None


def pending(session: dict[str, Any], state: str) -> dict[str, Any] | None:
    """The sign-in this callback belongs to, if ``state`` matches (consumed either way)."""
    saved = session.pop(SESSION_KEY, None)
    if not isinstance(saved, dict) or not state:
        return None
    if not secrets.compare_digest(str(saved.get("state", "")), state):
        return None
    return saved


def finish(ctx: WebContext, row: ConnectorRow, code: str, verifier: str | None) -> SignInOutcome:
    """Trade ``code`` for tokens, identify the account and mark the connector connected."""
    settings = cc_settings(row, ctx.settings)
    tokens = token_store(ctx, row.id)
    try:
        exchange_code(settings, code, verifier, tokens)
        summary = _account_of(ctx, row)
        account = summary.id
    except SyncError as exc:
        return SignInOutcome(False, f"Constant Contact refused the sign-in: {exc}", row.id)
    clash = _clashing_connector(ctx, row, account)
    if clash is not None:
        tokens.clear()
        return SignInOutcome(
            False,
            f"This Constant Contact account is already connected to {clash!r} with an "
            "overlapping scope. Sign in with another account.",
            row.id,
        )
    switched = _record_account(ctx, row, account, summary.label)
    # A run refused or failed for want of a sign-in is history now, not the connector's state.
    ctx.backend.forget_failure(row.id)
    text = "Constant Contact is connected."
    if switched:
        text += (
            " A different Constant Contact account than before signed in: the old pairs were "
            "archived and the next run is a first run (check its Preview)."
        )
    return SignInOutcome(True, text, row.id)


def _account_of(ctx: WebContext, row: ConnectorRow) -> AccountSummary:
    # The runner's factory: the identity call counts against the shared limiter and budget.
    return account_summary(ctx.settings, ctx.sessions, row)


# Connectors signed in to their Constant Contact account (whatever else may be wrong).
ACTIVE = ("connected", "paused", "quota", "crm_auth")


def _clashing_connector(ctx: WebContext, row: ConnectorRow, account: str) -> str | None:
    """Another connector on the same CC account whose scope overlaps (sync rule L4), by name."""
    mine = load_config(row).cc
    with ctx.sessions() as session:
        others = [c for c in list_connectors(session) if c.id != row.id]
    for other in others:
        if other.cc_account_id != account or other.status not in ACTIVE:
            continue
        theirs = load_config(other).cc
        lists_apart = mine.list_scoped() and theirs.list_scoped()
        if not (lists_apart and mine.target_list_name() != theirs.target_list_name()):
            return other.name
    return None


def _record_account(ctx: WebContext, row: ConnectorRow, account: str, label: str) -> bool:
    """Store the account (and its name for the Sync window); archive links and restart as a
    first run when it changed."""
    switched = bool(row.cc_account_id) and row.cc_account_id != account
    with ctx.sessions.begin() as session:
        if switched:
            archive_links(session, row.id)
            clear_state(session, row.id)
            update_connector(session, row.id, first_run_cutoff=None)
        update_connector(session, row.id, cc_account_id=account)
        update_connector_settings(session, row.id, settings_patch(cc_account_label=label))
        set_connector_status(session, row.id, "connected")
    return switched


def revoke_access(ctx: WebContext, row: ConnectorRow) -> str:
    """Revoke at CC (best effort), forget the tokens, stop syncing; the sentence to show."""
    tokens = token_store(ctx, row.id)
    had_tokens = tokens.load() is not None
    settings: CCSettings | None = None
    try:
        settings = cc_settings(row, ctx.settings)
        accepted = revoke(settings, tokens)
    except SyncError:  # incomplete OAuth settings, or the provider failed: delete locally
        accepted = False
        tokens.clear()
    with ctx.sessions.begin() as session:
        set_connector_status(session, row.id, "needs_sign_in", "Access revoked.")
    if not had_tokens:
        return "Access revoked: there were no tokens to revoke; syncing is stopped."
    if accepted:
        return (
            "Access revoked: Constant Contact accepted the revocation and the tokens are deleted."
        )
    unset = settings is None or settings.revoke_endpoint() is None
    where = "no Revoke URL is set" if unset else "the request failed"
    return (
        f"The tokens are deleted here, but Constant Contact could not be asked to revoke them "
        f"({where}). To remove ccsync's access, open your Constant Contact account → "
        "My Settings → Integrations / Connected apps, and remove the application."
    )
