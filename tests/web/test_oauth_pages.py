"""Sign In's failure paths and the Sync window's states (the full flow is in tests/e2e)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from starlette.testclient import TestClient

from ccsync.store.repos.connectors import set_connector_status, update_connector

from .conftest import WebEnv, csrf


def _start(client: TestClient, connector_id: int) -> dict[str, list[str]]:
    answer = client.get(f"/connectors/{connector_id}/signin")
    assert answer.status_code == 303
    url = urlsplit(answer.headers["location"])
    assert url.path == "/oauth2/default/v1/authorize"
    return parse_qs(url.query)


def test_sign_in_sends_state_and_pkce_to_the_authorize_page(
    admin_client: TestClient, env: WebEnv
) -> None:
    query = _start(admin_client, env.admin_connector)
    assert query["client_id"] == ["test-client"]
    assert query["redirect_uri"] == ["http://127.0.0.1:8765/oauth/callback"]
    assert query["code_challenge_method"] == ["S256"] and query["code_challenge"][0]
    assert len(query["state"][0]) >= 32
    assert _start(admin_client, env.admin_connector)["state"] != query["state"]


def test_a_denied_consent_says_why(admin_client: TestClient, env: WebEnv) -> None:
    state = _start(admin_client, env.admin_connector)["state"][0]
    answer = admin_client.get(f"/oauth/callback?state={state}&error=access_denied")
    assert answer.headers["location"] == "/"
    assert "Constant Contact was not connected: you denied access." in admin_client.get("/").text


def test_a_callback_with_a_foreign_state_is_refused(admin_client: TestClient, env: WebEnv) -> None:
    _start(admin_client, env.admin_connector)
    admin_client.get("/oauth/callback?state=forged&code=stolen-code")
    page = admin_client.get("/").text
    assert "state mismatch" in page
    assert "Connected" not in page


def test_a_failed_code_exchange_says_why(admin_client: TestClient, env: WebEnv) -> None:
    # The token URL points at a closed port: the exchange fails and the user is told.
    state = _start(admin_client, env.admin_connector)["state"][0]
    admin_client.get(f"/oauth/callback?state={state}&code=abc")
    page = admin_client.get("/").text
    assert "Constant Contact refused the sign-in" in page


def test_a_user_without_oauth_settings_is_sent_to_the_admin(
    user_client: TestClient, env: WebEnv
) -> None:
    with env.ctx.sessions.begin() as session:
        from ccsync.store.repos.connectors import set_connector_secrets

        set_connector_secrets(session, env.user_connector, client_secret=None)
    assert user_client.get(f"/connectors/{env.user_connector}/signin").headers["location"] == "/"
    assert "An admin must enter the OAuth settings" in user_client.get("/").text


def test_the_sync_window_shows_each_state(admin_client: TestClient, env: WebEnv) -> None:
    cid = env.admin_connector
    expectations = [
        ("needs_sign_in", "Needs sign-in"),
        ("connected", "Connected"),
        ("reconnect_needed", "Reconnect needed"),
        ("crm_auth", "Vtiger refused the access key — fix it in Settings"),
        ("paused", "Paused by the circuit breaker"),
        ("quota", "Quota exhausted until 01:00"),
    ]
    for status, label in expectations:
        with env.ctx.sessions.begin() as session:
            set_connector_status(session, cid, status)
            update_connector(session, cid, paused_until=datetime(2026, 11, 27, 0, 0, tzinfo=UTC))
        admin_client.post(
            "/profile", data={"timezone": "Europe/Paris", "csrftoken": csrf(admin_client)}
        )
        page = admin_client.get("/").text
        assert label in page, status
    for button in ("Sign In", "Settings", "Sync Log", "Sync Now", "User level Connectors"):
        assert button in page


def test_revoke_without_tokens_stops_syncing_and_says_so(
    admin_client: TestClient, env: WebEnv
) -> None:
    cid = env.admin_connector
    with env.ctx.sessions.begin() as session:
        set_connector_status(session, cid, "connected")
    assert "Yes, revoke access" in admin_client.get(f"/connectors/{cid}/revoke").text
    admin_client.post(f"/connectors/{cid}/revoke", data={"csrftoken": csrf(admin_client)})
    assert "there were no tokens to revoke" in admin_client.get(f"/connectors/{cid}/log").text
    assert admin_client.get(f"/api/connectors/{cid}").json()["state"] == "needs_sign_in"


def test_sync_now_answers_htmx_with_the_live_status_fragment(
    admin_client: TestClient, env: WebEnv
) -> None:
    # The scheduler is not started here, so the first run stays "running" while we click again.
    cid = env.admin_connector
    with env.ctx.sessions.begin() as session:
        set_connector_status(session, cid, "connected")
    headers = {"hx-request": "true", "x-csrftoken": csrf(admin_client)}
    first = admin_client.post(f"/connectors/{cid}/sync", headers=headers)
    assert first.status_code == 200 and "<html" not in first.text
    assert "Sync started." in first.text and 'hx-trigger="every 2s"' in first.text
    second = admin_client.post(f"/connectors/{cid}/sync", headers=headers).text
    assert "one more will start when it ends" in second and "one more run queued" in second
    third = admin_client.post(f"/api/connectors/{cid}/sync", headers=headers)
    assert third.status_code == 202 and third.json()["status"] == "already_queued"
    status = admin_client.get(f"/api/connectors/{cid}/status").json()
    assert status["running"] and status["pending"] and status["state"] == "syncing"
