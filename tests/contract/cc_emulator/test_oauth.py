"""OAuth2 of the brief (§1): pages, codes, PKCE, refresh-token rotation, scopes, revoke."""

from __future__ import annotations

import base64
import hashlib
import re
from urllib.parse import parse_qs, urlsplit

import httpx2

from .driver import CC, SCOPES
from .schema import OKTA_ERROR, validate

AUTHZ = "/oauth2/default/v1"
REDIRECT = "http://127.0.0.1:8765/oauth/callback"
DEAD_REFRESH = {
    "error": "invalid_grant",
    "error_description": "The refresh token is invalid or expired.",
}


def _authorize(cc: CC, **extra: str) -> httpx2.Response:
    params = {
        "client_id": "ccsync-demo-client",
        "redirect_uri": REDIRECT,
        "response_type": "code",
        "scope": SCOPES,
        "state": "xyz-123",
        **extra,
    }
    return cc.http.get(f"{AUTHZ}/authorize", params=params)


def _hidden(html: str) -> str:
    match = re.search(r'name="request_id" value="([^"]+)"', html)
    assert match, html
    return match.group(1)


def _query(response: httpx2.Response) -> dict[str, str]:
    assert response.status_code in (302, 303), response.text
    location = response.headers["location"]
    assert location.startswith(REDIRECT)
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _sign_in(cc: CC, account: int = 1, **extra: str) -> str:
    """Login form → consent form → Allow Access; returns the request id used."""
    login_page = _authorize(cc, **extra)
    assert login_page.status_code == 200 and '<form method="post"' in login_page.text
    request_id = _hidden(login_page.text)
    accounts = {a["number"]: a for a in cc.ctl("GET", "/accounts")}
    creds = {"username": accounts[account]["login"], "password": accounts[account]["password"]}
    consent = cc.http.post(f"{AUTHZ}/authorize/login", data={"request_id": request_id, **creds})
    assert consent.status_code == 200 and "Allow Access" in consent.text and "Deny" in consent.text
    return _hidden(consent.text)


def _code(cc: CC, account: int = 1, **extra: str) -> str:
    request_id = _sign_in(cc, account, **extra)
    answer = cc.http.post(
        f"{AUTHZ}/authorize/consent", data={"request_id": request_id, "decision": "allow"}
    )
    query = _query(answer)
    assert query["state"] == "xyz-123"
    return query["code"]


def _exchange(cc: CC, code: str, **extra: str) -> httpx2.Response:
    return cc.token_request(
        {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT, **extra}
    )


def _refresh(cc: CC, token: str) -> httpx2.Response:
    return cc.token_request({"grant_type": "refresh_token", "refresh_token": token})


def test_consent_flow_issues_single_use_code(cc: CC) -> None:
    """§1.2: login page, consent page, redirect with code+state; the code works once."""
    code = _code(cc, account=2)
    tokens = _exchange(cc, code)
    assert tokens.status_code == 200 and tokens.headers["cache-control"] == "no-store"
    body = tokens.json()
    assert (body["token_type"], body["expires_in"], body["scope"]) == ("Bearer", 86400, SCOPES)
    summary = cc.api("GET", "/account/summary", token=body["access_token"]).json()
    accounts = {a["number"]: a["account_id"] for a in cc.ctl("GET", "/accounts")}
    assert summary["encoded_account_id"] == accounts[2]
    reused = _exchange(cc, code)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"


def test_deny_and_bad_login(cc: CC) -> None:
    """§1.2: Deny redirects with error=access_denied and the state; a wrong password stays."""
    page = _authorize(cc)
    wrong = cc.http.post(
        f"{AUTHZ}/authorize/login",
        data={"request_id": _hidden(page.text), "username": "owner1@example.com", "password": "no"},
    )
    assert wrong.status_code == 401 and "Sign-in failed" in wrong.text
    request_id = _sign_in(cc)
    denied = _query(
        cc.http.post(
            f"{AUTHZ}/authorize/consent", data={"request_id": request_id, "decision": "deny"}
        )
    )
    assert denied["error"] == "access_denied" and denied["state"] == "xyz-123"
    assert denied["error_description"]


def test_authorize_refuses_unknown_client_redirect_and_scope(cc: CC) -> None:
    """§1.2: unknown client or redirect URI → error page (no redirect); bad scope → redirect."""
    assert _authorize(cc, client_id="other").status_code == 400
    assert _authorize(cc, redirect_uri="http://evil.example/cb").status_code == 400
    assert _query(_authorize(cc, scope="contact_data bogus"))["error"] == "invalid_scope"
    assert _query(_authorize(cc, response_type="token"))["error"] == "unsupported_response_type"


def test_code_expires_after_five_minutes_and_is_bound(cc: CC) -> None:
    """§1.2: codes last 5 minutes and are bound to the redirect URI and the client."""
    late = _code(cc)
    cc.clock(advance=301)
    assert _exchange(cc, late).json()["error"] == "invalid_grant"
    code = _code(cc)
    wrong_uri = cc.token_request(
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": "http://localhost:8765/oauth/callback",
        }
    )
    assert wrong_uri.status_code == 400 and wrong_uri.json()["error"] == "invalid_grant"
    form = {"grant_type": "authorization_code", "code": _code(cc), "redirect_uri": REDIRECT}
    bad_client = cc.token_request(form, auth=("ccsync-demo-client", "wrong"))
    assert bad_client.status_code == 401 and bad_client.json()["error"] == "invalid_client"
    validate(OKTA_ERROR, bad_client.json())


def test_rotating_refresh_tokens(cc: CC) -> None:
    """§1.4 rotating: each refresh token works once; a refresh kills every earlier one."""
    first = _exchange(cc, _code(cc)).json()["refresh_token"]
    second = _refresh(cc, first).json()["refresh_token"]
    assert second != first
    reused = _refresh(cc, first)
    assert reused.status_code == 400 and reused.json() == DEAD_REFRESH
    third = _refresh(cc, second)
    assert third.status_code == 200
    assert _refresh(cc, second).json() == DEAD_REFRESH
    assert cc.api("GET", "/contacts", token=third.json()["access_token"]).status_code == 200


def test_long_lived_refresh_tokens_and_idle_expiry(cc: CC) -> None:
    """§1.4 long-lived: the same refresh token comes back; 180 idle days end it."""
    cc.config(refresh_tokens="long-lived")
    token = cc.grant()["refresh_token"]
    assert _refresh(cc, token).json()["refresh_token"] == token
    assert _refresh(cc, token).json()["refresh_token"] == token
    cc.clock(advance=181 * 86400)
    assert _refresh(cc, token).json() == DEAD_REFRESH


def test_offline_access_gates_refresh_tokens(cc: CC) -> None:
    """§1.3: without offline_access there is no refresh token."""
    code = _code(cc, scope="contact_data")
    body = _exchange(cc, code).json()
    assert "refresh_token" not in body and body["scope"] == "contact_data"


def _pkce(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def test_pkce_modes(cc: CC) -> None:
    """§1.2 PKCE S256: checked when sent (accepted), refused (rejected) or demanded (required)."""
    verifier = "v" * 50
    challenge = {"code_challenge": _pkce(verifier), "code_challenge_method": "S256"}
    code = _code(cc, **challenge)
    assert _exchange(cc, code, code_verifier="w" * 50).json()["error"] == "invalid_grant"
    public = cc.token_request(
        {
            "grant_type": "authorization_code",
            "code": _code(cc, **challenge),
            "redirect_uri": REDIRECT,
            "code_verifier": verifier,
            "client_id": "ccsync-demo-client",
        },
        auth=None,
    )
    assert public.status_code == 200 and public.json()["refresh_token"]
    cc.config(pkce="rejected")
    assert _query(_authorize(cc, **challenge))["error"] == "invalid_request"
    cc.config(pkce="required")
    assert _query(_authorize(cc))["error"] == "invalid_request"
    assert _exchange(cc, _code(cc, **challenge), code_verifier=verifier).status_code == 200


def test_token_endpoint_limit_and_errors(cc: CC) -> None:
    """§1.4: 1 request/second per client on the token endpoint; Okta-style error bodies."""
    cc.clock(freeze=True)
    cc.config(token_rate_limit=1)
    assert _refresh(cc, "x").status_code == 400
    limited = _refresh(cc, "x")
    assert limited.status_code == 429
    validate(OKTA_ERROR, limited.json())
    cc.clock(advance=1.01)
    unsupported = cc.token_request({"grant_type": "password"})
    assert (
        unsupported.status_code == 400 and unsupported.json()["error"] == "unsupported_grant_type"
    )
    cc.clock(advance=1.01)
    assert cc.token_request({"grant_type": "refresh_token"}, auth=None).status_code == 401


def test_revoke(cc: CC) -> None:
    """§1.1 revoke (RFC 7009): 200 for well-formed requests; a revoked refresh token is dead."""
    tokens = cc.grant()
    revoke = f"{AUTHZ}/revoke"
    auth = ("ccsync-demo-client", "ccsync-demo-secret")
    data = {"token": tokens["refresh_token"], "token_type_hint": "refresh_token"}
    assert cc.http.post(revoke, data=data, auth=auth).status_code == 200
    assert _refresh(cc, tokens["refresh_token"]).json() == DEAD_REFRESH
    assert cc.api("GET", "/contacts", token=tokens["access_token"]).status_code == 401
    assert cc.http.post(revoke, data={"token": "unknown"}, auth=auth).status_code == 200
    assert (
        cc.http.post(revoke, data={"token": "x"}, auth=("ccsync-demo-client", "no")).status_code
        == 401
    )
    assert cc.http.post(revoke, data={}, auth=auth).status_code == 400


def test_auto_approve_redirects_at_once(cc: CC) -> None:
    """--auto-approve: the authorize URL redirects straight back with a code for account 1."""
    cc.config(auto_approve=True)
    query = _query(_authorize(cc))
    body = _exchange(cc, query["code"]).json()
    accounts = {a["number"]: a["account_id"] for a in cc.ctl("GET", "/accounts")}
    summary = cc.api("GET", "/account/summary", token=body["access_token"]).json()
    assert summary["encoded_account_id"] == accounts[1] and query["state"] == "xyz-123"


def test_login_page_is_styled_and_shows_the_demo_logins(cc: CC) -> None:
    """Issue 11 item 10: the emulator's pages are styled and say which logins the demo uses."""
    page = _authorize(cc).text
    assert "<style>" in page and 'name="viewport"' in page
    assert '<label for="username">Username</label>' in page
    for account in cc.ctl("GET", "/accounts"):
        assert f"<code>{account['login']}</code>" in page
        assert f"<code>{account['password']}</code>" in page
    request_id = _hidden(page)
    creds = {"username": "owner1@example.com", "password": "emulator-pass-1"}
    consent = cc.http.post(f"{AUTHZ}/authorize/login", data={"request_id": request_id, **creds})
    assert "owner1@example.com</strong> (Emulated Account 1)" in consent.text
    assert 'class="primary" type="submit" name="decision" value="allow">Allow Access' in (
        consent.text
    )


def test_the_authorize_pages_carry_their_icon_so_no_browser_asks_for_a_missing_one(cc: CC) -> None:
    """Without an icon of their own Chromium asked the emulator for /favicon.ico, a 404 that is
    a console error on the login and consent pages of the demo (found by the e2e test)."""
    login = _authorize(cc)
    creds = {"username": "owner1@example.com", "password": "emulator-pass-1"}
    consent = cc.http.post(
        f"{AUTHZ}/authorize/login", data={"request_id": _hidden(login.text), **creds}
    )
    error = _authorize(cc, client_id="nobody")
    assert error.status_code == 400
    for page in (login, consent, error):
        icon = re.search(r'<link rel="icon" href="([^"]+)">', page.text)
        assert icon is not None, page.text[:300]
        assert icon.group(1).startswith("data:image/svg+xml,")
