"""OAuth2 records and rules of CC's Okta authorization server: codes, grants and tokens.

Callers hold ``EmulatorState.lock``. Every failure is an ``OAuthError`` carrying the
Okta-style body ``{"error", "error_description"}`` and its HTTP status.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from typing import Any

from ccsync.emulators.constantcontact.state import EmulatorState, Record, new_id

ACCESS_TTL = 86400
CODE_TTL = 300
REFRESH_IDLE_TTL = 180 * 86400
KNOWN_SCOPES = {
    "contact_data",
    "campaign_data",
    "account_read",
    "account_update",
    "billing_data",
    "offline_access",
    "openid",
    "profile",
    "email",
}
REFRESH_DEAD = "The refresh token is invalid or expired."
CODE_DEAD = "The authorization code is invalid or has expired."


class OAuthError(Exception):
    """An Okta-style error answer."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(error)
        self.error = error
        self.description = description
        self.status = status

    def body(self) -> dict[str, str]:
        """``{"error": …, "error_description": …}``."""
        return {"error": self.error, "error_description": self.description}


def check_client(state: EmulatorState, client_id: str, secret: str | None) -> None:
    """Client authentication; ``secret`` ``None`` means a public (PKCE) client.

    Raises:
        OAuthError: ``invalid_client`` (401).
    """
    config = state.config
    if not hmac.compare_digest(client_id, config.client_id):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    if secret is not None and not hmac.compare_digest(secret, config.client_secret):
        raise OAuthError("invalid_client", "Client authentication failed.", 401)


def check_scope(scope: str) -> list[str]:
    """The requested scopes; ``invalid_scope`` if any is unknown or none is given."""
    scopes = scope.split()
    if not scopes or any(s not in KNOWN_SCOPES for s in scopes):
        raise OAuthError("invalid_scope", "One or more scopes are not configured.")
    return scopes


def s256(verifier: str) -> str:
    """The PKCE S256 challenge of ``verifier``."""
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def new_code(state: EmulatorState, request: Record, account: int) -> str:
    """A single-use authorization code for an approved authorize ``request``."""
    code = secrets.token_urlsafe(32)
    state.oauth["codes"][code] = {
        "account": account,
        "client_id": request["client_id"],
        "redirect_uri": request["redirect_uri"],
        "scope": request["scope"],
        "challenge": request.get("code_challenge") or None,
        "expires": state.clock.time() + CODE_TTL,
    }
    state.dirty = True
    return code


def redeem_code(
    state: EmulatorState, form: dict[str, str], client_id: str, public: bool
) -> dict[str, Any]:
    """The ``authorization_code`` grant: check the code, then issue tokens."""
    code = state.oauth["codes"].pop(form.get("code", ""), None)
    state.dirty = True
    if code is None or float(code["expires"]) <= state.clock.time():
        raise OAuthError("invalid_grant", CODE_DEAD)
    if code["client_id"] != client_id or code["redirect_uri"] != form.get("redirect_uri"):
        raise OAuthError(
            "invalid_grant",
            "The 'redirect_uri' does not match the redirection URI used in the authorization "
            "request.",
        )
    _check_verifier(state, code, form.get("code_verifier"))
    if public and not code["challenge"]:
        raise OAuthError("invalid_client", "Client authentication failed.", 401)
    grant = new_grant(state, int(code["account"]), client_id, str(code["scope"]), public)
    return issue(state, grant)


def _check_verifier(state: EmulatorState, code: Record, verifier: str | None) -> None:
    if verifier and state.config.pkce == "rejected":
        raise OAuthError("invalid_request", "PKCE is not allowed for this application.")
    if code["challenge"] is None:
        if verifier:
            raise OAuthError("invalid_grant", "PKCE verification failed.")
        return
    if not verifier or not hmac.compare_digest(s256(verifier), str(code["challenge"])):
        raise OAuthError("invalid_grant", "PKCE verification failed.")


def new_grant(
    state: EmulatorState, account: int, client_id: str, scope: str, public: bool
) -> Record:
    """A consented grant of ``scope`` on ``account`` to the client."""
    grant: Record = {
        "grant_id": new_id(),
        "account": account,
        "client_id": client_id,
        "scope": scope,
        "public": public,
        "refresh_token": None,
    }
    state.oauth["grants"][grant["grant_id"]] = grant
    return grant


def issue(state: EmulatorState, grant: Record) -> dict[str, Any]:
    """New access token (24 h) and, with ``offline_access``, a refresh token per the mode."""
    now = state.clock.time()
    access = "cc-at-" + secrets.token_urlsafe(48)
    state.oauth["access"][access] = {
        "account": grant["account"],
        "client_id": grant["client_id"],
        "scope": grant["scope"],
        "expires": now + ACCESS_TTL,
        "grant_id": grant["grant_id"],
    }
    body: dict[str, Any] = {
        "token_type": "Bearer",
        "expires_in": ACCESS_TTL,
        "access_token": access,
        "scope": grant["scope"],
    }
    if "offline_access" in str(grant["scope"]).split():
        body["refresh_token"] = _refresh_token(state, grant, now)
    state.dirty = True
    return body


def _refresh_token(state: EmulatorState, grant: Record, now: float) -> str:
    current = grant.get("refresh_token")
    refresh = state.oauth["refresh"]
    if state.config.refresh_tokens == "long-lived" and current in refresh:
        refresh[current]["last_used"] = now
        return str(current)
    if current:
        refresh.pop(current, None)  # rotation: every earlier refresh token of the grant dies
    token = "cc-rt-" + secrets.token_urlsafe(32)
    refresh[token] = {"grant_id": grant["grant_id"], "issued": now, "last_used": now}
    grant["refresh_token"] = token
    return token


def refresh(state: EmulatorState, token: str, client_id: str) -> dict[str, Any]:
    """The ``refresh_token`` grant."""
    record = state.oauth["refresh"].get(token)
    now = state.clock.time()
    if record is None or float(record["last_used"]) + REFRESH_IDLE_TTL <= now:
        raise OAuthError("invalid_grant", REFRESH_DEAD)
    grant = state.oauth["grants"].get(str(record["grant_id"]))
    if grant is None or grant["client_id"] != client_id or grant["refresh_token"] != token:
        raise OAuthError("invalid_grant", REFRESH_DEAD)
    return issue(state, grant)


def revoke(state: EmulatorState, token: str) -> None:
    """RFC 7009: a refresh token ends its grant; an access token ends itself."""
    oauth = state.oauth
    if oauth["access"].pop(token, None) is not None:
        state.dirty = True
        return
    record = oauth["refresh"].pop(token, None)
    if record is None:
        return
    grant_id = record["grant_id"]
    oauth["grants"].pop(grant_id, None)
    for access, data in list(oauth["access"].items()):
        if data["grant_id"] == grant_id:
            del oauth["access"][access]
    state.dirty = True


def grant_directly(state: EmulatorState, account: int, scope: str) -> dict[str, Any]:
    """What ``/_emulator/grant`` does: consent without the browser, then a token response."""
    check_scope(scope)
    if account not in state.accounts:
        raise OAuthError("invalid_request", f"No account number {account}.")
    grant = new_grant(state, account, state.config.client_id, scope, False)
    return issue(state, grant)
